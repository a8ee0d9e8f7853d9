import { type FSWatcher, watch } from 'node:fs';
import { cp, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DONE_FILE, isValidId } from '@stop-motion/protocol';
import type { ProcessorConfig } from './config.js';
import { FROM_STATION_FILE, type PipelineDirs, packageDirOf, workDirOf } from './dirs.js';
import { errorMessage, fsyncTree, renameDurable, writeFileAtomic } from './files.js';
import { checkDelivery, isStationArea, isUtf8Name, joinBytes, showName } from './intake.js';
import type { JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { Quarantine } from './quarantine.js';

export interface IngestDeps {
  config: Pick<ProcessorConfig, 'rescanMs' | 'packageGraceMs'>;
  log: Logger;
  jobs: JobStore;
  dirs: PipelineDirs;
  quarantine: Quarantine;
  /** A package was taken in: the render worker has work. */
  onReceived: () => void;
}

/** Past this many watched directories the rescan alone finds the rest (inotify watches are a limited resource). */
const MAX_WATCHES = 200;

/**
 * The inbox door: watches the inbox (and each station's area), and takes a package in
 * once its DONE is there and its files are complete — fsynced, then moved to
 * work/<id>/package in one step, so nothing can change it under us. What cannot be
 * taken is quarantined with its reason.
 */
export class Ingest {
  private running = false;
  private readonly watchers = new Map<string, FSWatcher>();
  private rescanTimer: NodeJS.Timeout | null = null;
  private scanQueued: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private scanAgain = false;
  private readonly notedNonDirs = new Set<string>();
  /** Packages with DONE but files still missing (logged once each). */
  private readonly waitingFor = new Set<string>();

  constructor(private readonly deps: IngestDeps) {}

  async start(): Promise<void> {
    this.running = true;
    try {
      const w = watch(this.deps.dirs.inbox, () => this.queueScan());
      w.on('error', (err) => this.deps.log.warn({ event: 'ingest.watch_failed', err: err.message }, 'ingest watch failed'));
      this.watchers.set('', w);
    } catch (err) {
      this.deps.log.warn({ event: 'ingest.watch_failed', err: errorMessage(err) }, 'ingest watch failed');
    }
    // Events get lost (and rsync writes inside subdirectories); a rescan catches everything.
    this.rescanTimer = setInterval(() => this.queueScan(), this.deps.config.rescanMs);
    await this.scan();
  }

  /** Stops watching; resolves once a scan under way has finished. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.scanQueued) clearTimeout(this.scanQueued);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.scanning?.catch(() => undefined);
  }

  queueScan(): void {
    if (!this.running || this.scanQueued) return;
    this.scanQueued = setTimeout(() => {
      this.scanQueued = null;
      void this.scan();
    }, 50);
  }

  /** One scan at a time; a request during a scan runs one more afterwards. */
  scan(): Promise<void> {
    if (this.scanning !== null) {
      this.scanAgain = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.scanAgain = false;
        try {
          await this.scanOnce();
        } catch (err) {
          this.deps.log.error({ event: 'ingest.scan_failed', err: errorMessage(err) }, 'ingest scan failed');
        }
      } while (this.scanAgain && this.running);
    })().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (!this.running) return;
    const inbox = this.deps.dirs.inbox;
    const seen = new Set<string>();
    for (const name of await this.utf8Names(inbox)) {
      if (!this.running) return;
      // rsync's temporary names start with a dot.
      if (name.startsWith('.')) continue;
      seen.add(name);
      const dir = path.join(inbox, name);
      try {
        if (!(await this.isDirectory(name, dir))) continue;
        // A station's area; a stray DONE in it does not make it a package.
        if (await isStationArea(name, dir)) {
          this.unwatch(name);
          await this.scanArea(name, dir, seen);
          continue;
        }
        await this.consider(name, name, dir, null);
      } catch (err) {
        // One bad package never stops the others.
        this.deps.log.error({ event: 'ingest.failed', name: name.slice(0, 80), err: errorMessage(err) }, 'ingest failed');
      }
    }
    for (const name of this.watchers.keys()) if (name !== '' && !seen.has(name)) this.unwatch(name);
  }

  /**
   * A station's own area, inbox/<stationId>/<movieId>/ (its rsync module's path): the
   * packages in it are that station's, whatever their manifests claim.
   */
  private async scanArea(station: string, areaDir: string, seen: Set<string>): Promise<void> {
    const areaKey = `${station}/`;
    seen.add(areaKey);
    this.watchPending(areaKey, areaDir, true);
    for (const name of await this.utf8Names(areaDir)) {
      if (!this.running) return;
      if (name.startsWith('.')) continue;
      const key = `${station}/${name}`;
      seen.add(key);
      const dir = path.join(areaDir, name);
      try {
        if (!(await this.isDirectory(key, dir))) continue;
        await this.consider(key, name, dir, station);
      } catch (err) {
        this.deps.log.error({ event: 'ingest.failed', name: key.slice(0, 120), err: errorMessage(err) }, 'ingest failed');
      }
    }
  }

  /** The UTF-8 names in `dir`, sorted; the others are handled by their bytes on the way. */
  private async utf8Names(dir: string): Promise<string[]> {
    const names: string[] = [];
    for (const raw of await readdir(dir, { encoding: 'buffer' })) {
      if (isUtf8Name(raw)) names.push(raw.toString('utf8'));
      else
        await this.badlyNamed(raw, dir).catch((err: unknown) =>
          this.deps.log.error({ event: 'ingest.failed', name: showName(raw), err: errorMessage(err) }, 'ingest failed'),
        );
    }
    return names.sort();
  }

  /** A file where a package belongs is noted once and left alone. */
  private async isDirectory(key: string, dir: string): Promise<boolean> {
    const st = await lstat(dir);
    if (st.isDirectory()) return true;
    if (!this.notedNonDirs.has(key)) {
      this.notedNonDirs.add(key);
      this.deps.log.warn({ event: 'ingest.not_a_directory', name: key.slice(0, key.includes('/') ? 120 : 80) }, 'ingest not a directory');
    }
    return false;
  }

  /** A package directory: still arriving (watched), refused, or taken in. */
  private async consider(key: string, name: string, dir: string, station: string | null): Promise<void> {
    const done = await lstat(path.join(dir, DONE_FILE)).catch(() => null);
    if (!done) {
      this.watchPending(key, dir);
      return;
    }
    this.unwatch(key);
    if (!done.isFile()) {
      await this.deps.quarantine.stray(key, dir, 'DONE is not a regular file');
    } else if (!isValidId(name)) {
      await this.deps.quarantine.stray(key, dir, 'package directory name is not a valid movie id');
    } else {
      await this.take(name, dir, station);
    }
  }

  /**
   * An inbox entry whose name is not UTF-8 cannot be named by a string path (it reads
   * back with U+FFFD): it is handled by its bytes, and quarantined once its DONE is there.
   */
  private async badlyNamed(raw: Buffer, parent: string): Promise<void> {
    const shown = showName(raw);
    const dir = joinBytes(parent, raw);
    const st = await lstat(dir);
    const key = `bytes:${parent === this.deps.dirs.inbox ? '' : `${path.basename(parent)}/`}${raw.toString('hex')}`;
    if (!st.isDirectory()) {
      if (!this.notedNonDirs.has(key)) {
        this.notedNonDirs.add(key);
        this.deps.log.warn({ event: 'ingest.not_a_directory', name: shown }, 'ingest not a directory');
      }
      return;
    }
    if (!(await lstat(joinBytes(dir, Buffer.from(DONE_FILE))).catch(() => null))) return;
    await this.deps.quarantine.stray(shown, dir, 'package directory name is not valid UTF-8');
  }

  /** Watches a package that is still arriving (or a station's area), so its DONE is noticed at once. */
  private watchPending(name: string, dir: string, anyChange = false): void {
    if (this.watchers.has(name) || this.watchers.size > MAX_WATCHES) return;
    try {
      const w = watch(dir, (_event, file) => {
        if (anyChange || file === DONE_FILE || file === null) this.queueScan();
      });
      w.on('error', () => this.unwatch(name));
      this.watchers.set(name, w);
    } catch {
      // The rescan still finds it.
    }
  }

  private unwatch(name: string): void {
    this.watchers.get(name)?.close();
    this.watchers.delete(name);
  }

  private async take(id: string, dir: string, station: string | null): Promise<void> {
    const existing = this.deps.jobs.get(id);
    if (existing && existing.state !== 'quarantined' && existing.state !== 'failed') {
      await rm(dir, { recursive: true, force: true });
      this.deps.log.info(
        { event: existing.state === 'removed' ? 'package.removed_film' : 'package.duplicate', id, state: existing.state },
        existing.state === 'removed' ? 'a package of a removed film' : 'a package already received',
      );
      return;
    }
    const intake = await checkDelivery(dir, id, { graceMs: this.deps.config.packageGraceMs });
    if (intake.kind === 'wait') {
      if (!this.waitingFor.has(id)) {
        this.waitingFor.add(id);
        this.deps.log.warn(
          { event: 'package.incomplete', id, missing: intake.missing.length, first: intake.missing[0], waitMs: intake.leftMs },
          'package incomplete',
        );
      }
      return;
    }
    this.waitingFor.delete(id);
    if (intake.kind === 'refuse') {
      await this.deps.quarantine.delivery(id, dir, intake.reason);
      return;
    }
    const workDir = workDirOf(this.deps.dirs, id);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    // Recorded before the package moves, so a crash cannot leave it without its origin.
    if (station !== null) await writeFileAtomic(path.join(workDir, FROM_STATION_FILE), station);
    const target = packageDirOf(this.deps.dirs, id);
    try {
      // Received means durable: the files as delivered, then the move.
      await fsyncTree(dir);
      await renameDurable(dir, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // The inbox is on another file system: copy (never following links), then let go of the original.
      await cp(dir, path.join(workDir, '.copying'), { recursive: true, dereference: false, verbatimSymlinks: true });
      await fsyncTree(path.join(workDir, '.copying'));
      await renameDurable(path.join(workDir, '.copying'), target);
      await rm(dir, { recursive: true, force: true });
    }
    await this.deps.jobs.receive(id);
    this.deps.log.info(
      { event: 'package.received', id, retry: Boolean(existing), ...(station !== null ? { area: station } : {}) },
      'package received',
    );
    this.deps.onReceived();
  }
}
