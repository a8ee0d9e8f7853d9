// The one movie in progress and the finished packages, as directories under the data dir.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { exists, fsyncDir, writeFileDurable } from '@stop-motion/kit';
import {
  DONE_FILE,
  type FrameRef,
  frameFileName,
  isFrameFileName,
  isValidId,
  type Locale,
  type ManifestV1,
  type Publish,
  type RecentMovie,
} from '@stop-motion/protocol';
import { decodeTime, monotonicFactory } from 'ulid';
import type { Logger } from '../log.js';
import { recoverFrames, type StoredFrame, sha256Hex, shortHash } from './frames.js';
import { buildManifest, listRecent, recentFromManifest, sealPackage } from './package.js';

export { sha256Hex, shortHash } from './frames.js';

export class StoreError extends Error {
  constructor(
    readonly code: 'limit_reached' | 'no_frames' | 'not_found',
    message: string,
  ) {
    super(message);
  }
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

  constructor(private readonly options: StoreOptions) {
    this.currentDir = path.join(options.dataDir, 'current');
    this.outboxDir = path.join(options.dataDir, 'outbox');
    this.sentDir = path.join(options.dataDir, 'sent');
    this.trashDir = path.join(options.dataDir, 'trash');
  }

  get movieId(): string {
    return this.id;
  }

  get frameCount(): number {
    return this.frames.length;
  }

  get maxFrames(): number {
    return this.options.maxFrames;
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
    for (const dir of [this.options.dataDir, this.currentDir, this.outboxDir, this.sentDir, this.trashDir]) {
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
        this.options.log.info({ event: 'store.recovered_finish', movieId: id }, 'completed an interrupted finish');
      }
    }
    const remaining = (await readdir(this.currentDir)).filter(isValidId).sort();
    const chosen = remaining.pop();
    for (const extra of remaining) {
      // Never expected; kept aside rather than deleted, frames are precious.
      this.options.log.warn({ event: 'store.extra_movie', movieId: extra }, 'more than one movie in progress; setting older one aside');
      await mkdir(path.join(this.options.dataDir, 'aside'), { recursive: true });
      await rename(this.movieDir(extra), path.join(this.options.dataDir, 'aside', extra));
    }
    if (chosen) {
      this.id = chosen;
      this.frames = await recoverFrames(this.movieDir(chosen), this.options.log);
      this.firstFrameAt = await this.readFirstFrameTime();
      this.options.log.info({ event: 'store.resumed', movieId: chosen, frames: this.frames.length }, 'resumed movie');
    } else {
      await this.startMovie();
    }
    await this.loadRecent();
  }

  private async loadRecent(): Promise<void> {
    this.recentMovies = await listRecent([this.outboxDir, this.sentDir], this.options.recentLimit);
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
      if (this.frames.length >= this.options.maxFrames) {
        throw new StoreError('limit_reached', `the movie already has ${this.options.maxFrames} frames`);
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
      const manifest = buildManifest({
        id,
        stationId: this.options.stationId,
        createdAt: this.firstFrameAt ?? this.startedAt,
        fps: this.options.fps,
        width: this.options.width,
        height: this.options.height,
        publish: opts.publish,
        title: opts.title,
        locale: opts.locale,
        soundtrack: opts.soundtrack,
        ownerKeyHash: sha256Hex(ownerKey),
        frames: this.frames,
      });
      await sealPackage(dir, manifest);
      await this.moveToOutbox(id);
      const frameCount = this.frames.length;
      this.recentMovies = [recentFromManifest(manifest), ...this.recentMovies.filter((r) => r.id !== id)].slice(
        0,
        this.options.recentLimit,
      );
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
