import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { exists, fsyncDir, TEMP_PREFIX, writeFileDurable } from '@stop-motion/kit';
import {
  DONE_FILE,
  type FrameRef,
  flagForPublish,
  frameFileName,
  frameIndex,
  isFrameFileName,
  isValidId,
  type Locale,
  MANIFEST_FILE,
  type ManifestV1,
  manifestV1Schema,
  NOPUBLISH_FILE,
  PACKAGE_FORMAT,
  PACKAGE_VERSION,
  PUBLISH_FILE,
  type Publish,
  parseManifest,
  type RecentMovie,
} from '@stop-motion/protocol';
import { decodeTime, monotonicFactory } from 'ulid';
import type { Logger } from '../log.js';

export class StoreError extends Error {
  constructor(
    readonly code: 'limit_reached' | 'no_frames' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

interface StoredFrame {
  file: string;
  sha256: string;
}

export interface StoreOptions {
  dataDir: string;
  stationId: string;
  fps: number;
  width: number;
  height: number;
  maxFrames: number;
  recentLimit: number;
  log: Logger;
}

export interface FinishOutcome {
  movieId: string;
  ownerKey: string;
  frameCount: number;
  manifest: ManifestV1;
}

/** `frame.hash` in the protocol: enough of the sha256 to bust caches. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 16);
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The movie being made and the finished packages, on disk under the data dir:
 *
 *   current/<movieId>/0000.jpg …   the movie in progress (exactly one)
 *   outbox/<movieId>/              finished packages waiting for delivery
 *   sent/<movieId>/                delivered packages, kept for a while
 *   trash/                         directories being removed
 *
 * Everything the station knows is derived from these directories at start, so any
 * restart resumes where it stopped. Writes are durable before they are reported.
 */
export class MovieStore {
  readonly currentDir: string;
  readonly outboxDir: string;
  readonly sentDir: string;
  private readonly trashDir: string;
  private readonly newId = monotonicFactory();
  private id = '';
  private frames: StoredFrame[] = [];
  /** When the first frame was taken: the film's `createdAt` (its id was made when the previous film finished). */
  private firstFrameAt: string | null = null;
  private recentMovies: RecentMovie[] = [];
  /** Serialises changes: a capture, an undo and a finish never interleave. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: StoreOptions) {
    this.currentDir = path.join(o.dataDir, 'current');
    this.outboxDir = path.join(o.dataDir, 'outbox');
    this.sentDir = path.join(o.dataDir, 'sent');
    this.trashDir = path.join(o.dataDir, 'trash');
  }

  get movieId(): string {
    return this.id;
  }

  get frameCount(): number {
    return this.frames.length;
  }

  get maxFrames(): number {
    return this.o.maxFrames;
  }

  get startedAt(): string {
    return new Date(decodeTime(this.id)).toISOString();
  }

  frameRefs(): FrameRef[] {
    return this.frames.map((f) => ({ file: f.file, hash: shortHash(f.sha256) }));
  }

  recent(): RecentMovie[] {
    return this.recentMovies.map((r) => ({ ...r }));
  }

  private movieDir(id = this.id): string {
    return path.join(this.currentDir, id);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reads the state from disk, finishing or undoing whatever a crash interrupted. */
  async open(): Promise<void> {
    for (const dir of [this.o.dataDir, this.currentDir, this.outboxDir, this.sentDir, this.trashDir]) {
      await mkdir(dir, { recursive: true });
    }
    await rm(this.trashDir, { recursive: true, force: true });
    await mkdir(this.trashDir, { recursive: true });

    const candidates = (await readdir(this.currentDir)).filter(isValidId).sort();
    for (const id of candidates) {
      const names = await readdir(this.movieDir(id));
      if (names.includes(DONE_FILE)) {
        // Finished but not yet moved: complete the move.
        await this.moveToOutbox(id);
        this.o.log.info({ event: 'store.recovered_finish', movieId: id }, 'completed an interrupted finish');
      }
    }
    const remaining = (await readdir(this.currentDir)).filter(isValidId).sort();
    const chosen = remaining.pop();
    for (const extra of remaining) {
      // Never expected; kept aside rather than deleted, frames are precious.
      this.o.log.warn({ event: 'store.extra_movie', movieId: extra }, 'more than one movie in progress; setting older one aside');
      await mkdir(path.join(this.o.dataDir, 'aside'), { recursive: true });
      await rename(this.movieDir(extra), path.join(this.o.dataDir, 'aside', extra));
    }
    if (chosen) {
      this.id = chosen;
      this.frames = await this.loadFrames(chosen);
      this.firstFrameAt = await this.readFirstFrameTime();
      this.o.log.info({ event: 'store.resumed', movieId: chosen, frames: this.frames.length }, 'resumed movie');
    } else {
      await this.startMovie();
    }
    await this.loadRecent();
  }

  private async loadFrames(id: string): Promise<StoredFrame[]> {
    const dir = this.movieDir(id);
    const names = await readdir(dir);
    let changed = false;
    for (const name of names) {
      // Leftovers of a write or a finish that never completed.
      if (name.startsWith(TEMP_PREFIX) || name === MANIFEST_FILE || name === PUBLISH_FILE || name === NOPUBLISH_FILE) {
        await unlink(path.join(dir, name));
        changed = true;
      }
    }
    const frameNames = names.filter((n) => isFrameFileName(n)).sort((a, b) => (frameIndex(a) ?? 0) - (frameIndex(b) ?? 0));
    const frames: StoredFrame[] = [];
    for (const [i, name] of frameNames.entries()) {
      let file = name;
      if (name !== frameFileName(i)) {
        // A gap cannot come from this code, but numbering must be contiguous whatever happened.
        file = frameFileName(i);
        await rename(path.join(dir, name), path.join(dir, file));
        changed = true;
        this.o.log.warn({ event: 'store.renumbered', from: name, to: file }, 'closed a gap in frame numbering');
      }
      const data = await readFile(path.join(dir, file));
      frames.push({ file, sha256: sha256Hex(data) });
    }
    if (changed) await fsyncDir(dir);
    return frames;
  }

  private async loadRecent(): Promise<void> {
    const found: RecentMovie[] = [];
    for (const base of [this.outboxDir, this.sentDir]) {
      for (const id of (await readdir(base)).filter(isValidId)) {
        const recent = await this.readRecent(path.join(base, id), id);
        if (recent) found.push(recent);
      }
    }
    found.sort((a, b) => (a.id < b.id ? 1 : -1));
    this.recentMovies = found.slice(0, this.o.recentLimit);
  }

  private async readRecent(dir: string, id: string): Promise<RecentMovie | null> {
    const text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => null);
    if (text === null) return null;
    const parsed = parseManifest(text, id);
    if (!parsed.ok) return null;
    return recentFromManifest(parsed.value);
  }

  private async startMovie(): Promise<void> {
    const id = this.newId();
    await mkdir(this.movieDir(id));
    await fsyncDir(this.currentDir);
    this.id = id;
    this.frames = [];
    this.firstFrameAt = null;
  }

  /** The first frame's modification time survives a restart with the frame itself. */
  private async readFirstFrameTime(): Promise<string | null> {
    const first = this.frames[0];
    if (!first) return null;
    const s = await stat(path.join(this.movieDir(), first.file));
    return s.mtime.toISOString();
  }

  /** Stores a frame durably; resolves only when it would survive a power cut. */
  addFrame(jpeg: Buffer): Promise<{ frame: FrameRef; frameCount: number; movieId: string }> {
    return this.serial(async () => {
      if (this.frames.length >= this.o.maxFrames) {
        throw new StoreError('limit_reached', `the movie already has ${this.o.maxFrames} frames`);
      }
      const file = frameFileName(this.frames.length);
      await writeFileDurable(path.join(this.movieDir(), file), jpeg);
      const stored = { file, sha256: sha256Hex(jpeg) };
      if (this.frames.length === 0) this.firstFrameAt = new Date().toISOString();
      this.frames.push(stored);
      return { frame: { file, hash: shortHash(stored.sha256) }, frameCount: this.frames.length, movieId: this.id };
    });
  }

  /** Deletes the last frame; numbering stays contiguous because only the last one ever goes. */
  undo(): Promise<{ removed: string; frameCount: number; movieId: string }> {
    return this.serial(async () => {
      const last = this.frames.at(-1);
      if (!last) throw new StoreError('no_frames', 'there is no frame to undo');
      await unlink(path.join(this.movieDir(), last.file));
      await fsyncDir(this.movieDir());
      this.frames.pop();
      if (this.frames.length === 0) this.firstFrameAt = null;
      return { removed: last.file, frameCount: this.frames.length, movieId: this.id };
    });
  }

  /**
   * Seals the movie as a package (manifest, flag, DONE last), moves it to the
   * outbox and starts the next movie.
   */
  finish(opts: {
    publish: Publish;
    title?: string | undefined;
    locale?: Locale | undefined;
    soundtrack?: string | undefined;
  }): Promise<FinishOutcome> {
    return this.serial(async () => {
      if (this.frames.length === 0) throw new StoreError('no_frames', 'a movie needs at least one frame');
      const id = this.id;
      const dir = this.movieDir(id);
      const ownerKey = randomBytes(24).toString('base64url');
      const title = opts.title?.trim();
      const manifest = manifestV1Schema.parse({
        format: PACKAGE_FORMAT,
        version: PACKAGE_VERSION,
        id,
        stationId: this.o.stationId,
        createdAt: this.firstFrameAt ?? this.startedAt,
        finishedAt: new Date().toISOString(),
        fps: this.o.fps,
        width: this.o.width,
        height: this.o.height,
        publish: opts.publish,
        ...(title ? { title } : {}),
        ...(opts.locale ? { locale: opts.locale } : {}),
        ...(opts.soundtrack ? { soundtrack: opts.soundtrack } : {}),
        ownerKeyHash: sha256Hex(ownerKey),
        frames: this.frames.map((f) => ({ file: f.file, sha256: f.sha256 })),
      });
      await writeFileDurable(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { syncDir: false });
      await writeFileDurable(path.join(dir, flagForPublish(opts.publish)), '', { syncDir: false });
      await fsyncDir(dir);
      await writeFileDurable(path.join(dir, DONE_FILE), '');
      await this.moveToOutbox(id);
      const frameCount = this.frames.length;
      this.recentMovies = [recentFromManifest(manifest), ...this.recentMovies.filter((r) => r.id !== id)].slice(0, this.o.recentLimit);
      await this.startMovie();
      return { movieId: id, ownerKey, frameCount, manifest };
    });
  }

  /** Throws the current movie away (idle timeout with IDLE_ACTION=clear) and starts a new one. */
  clear(): Promise<{ clearedId: string }> {
    return this.serial(async () => {
      const old = this.id;
      // Renamed away first so a crash mid-delete never leaves a movie with gaps.
      await rename(this.movieDir(old), path.join(this.trashDir, old));
      await fsyncDir(this.currentDir);
      await this.startMovie();
      await rm(path.join(this.trashDir, old), { recursive: true, force: true });
      return { clearedId: old };
    });
  }

  private async moveToOutbox(id: string): Promise<void> {
    const target = path.join(this.outboxDir, id);
    if (await exists(target)) {
      // Same id twice can only be a repeated recovery; the newer copy is complete (it has DONE).
      await rename(target, path.join(this.trashDir, `${id}-${Date.now()}`));
    }
    await rename(this.movieDir(id), target);
    await fsyncDir(this.outboxDir);
    await fsyncDir(this.currentDir);
  }

  /** Forgets a package that retention removed from sent/. */
  forget(id: string): void {
    this.recentMovies = this.recentMovies.filter((r) => r.id !== id);
  }

  /** Where a frame of the current movie or of a recent package lives, or null. */
  async locateFrame(movieId: string, file: string): Promise<string | null> {
    if (!isValidId(movieId) || !isFrameFileName(file)) return null;
    for (const base of [this.currentDir, this.outboxDir, this.sentDir]) {
      const candidate = path.join(base, movieId, file);
      if (await exists(candidate)) return candidate;
    }
    return null;
  }
}

function recentFromManifest(m: ManifestV1): RecentMovie {
  const n = m.frames.length;
  return {
    id: m.id,
    finishedAt: m.finishedAt,
    frameCount: n,
    publish: m.publish,
    posterFile: n > 0 ? frameFileName(Math.floor(n / 2)) : null,
  };
}
