import { type FSWatcher, watch } from 'node:fs';
import { cp, lstat, mkdir, open, readdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DONE_FILE, type FilmMeta, fixTitle, isValidId, MANIFEST_FILE, movieKeys } from '@stop-motion/protocol';
import { renderBudgetMs, startRenderBudget } from './budget.js';
import type { ProcessorConfig } from './config.js';
import { ToolError } from './ffmpeg.js';
import { errorMessage, fsyncDir, fsyncTree, renameDurable } from './files.js';
import { AREA_MARKER, checkDelivery, isUtf8Name, joinBytes, showName } from './intake.js';
import type { Job, JobStore } from './jobs.js';
import { newJob } from './jobs.js';
import type { Logger } from './log.js';
import type { Notices } from './notices.js';
import type { Player } from './player.js';
import { publicIdState, removeFilm } from './reconcile.js';
import { publishLocally, renderFilm } from './render.js';
import type { Retention } from './retention.js';
import { formatCardDate } from './title.js';
import { backoffMs, IMMUTABLE_CACHE } from './upload.js';
import { type DroppedFrame, dominantSize, validatePackage } from './validate.js';
import { FilmConflictError, FilmRemovedError, type WriteOnceUploader } from './write-once.js';

const MAX_RENDER_FAILURES = 3;
/** In a job's work dir: the station whose inbox area the package came from (none: the flat inbox). */
const FROM_STATION_FILE = 'from-station';

export interface PipelineDeps {
  config: ProcessorConfig;
  log: Logger;
  jobs: JobStore;
  player: Player;
  uploader: WriteOnceUploader | null;
  notices: Notices | null;
  uploadRetryCapMs: number;
  /** Keeps the disk areas within their limits; its record of what it cleaned is shown in the status. */
  retention?: Retention | null;
}

export interface StrayQuarantine {
  name: string;
  reason: string;
  at: string;
}

/**
 * Inbox → validated package → render → big screen → S3. Every step is recorded in
 * the job file before the next begins, so a restart picks up where it stopped.
 */
export class Pipeline {
  readonly dirs: { inbox: string; work: string; films: string; quarantine: string };
  private readonly log: Logger;
  private running = false;
  private readonly abort = new AbortController();
  private readonly progress = new Map<string, number>();
  private watchers = new Map<string, FSWatcher>();
  private rescanTimer: NodeJS.Timeout | null = null;
  private scanQueued: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private scanAgain = false;
  private renderWake: (() => void) | null = null;
  private uploadWake: (() => void) | null = null;
  private renderLoop: Promise<void> | null = null;
  private uploadLoop: Promise<void> | null = null;
  private readonly strays: StrayQuarantine[] = [];
  private readonly notedNonDirs = new Set<string>();
  private readonly retryAt = new Map<string, number>();
  /** More for the status page (reconciliation, S3 write mode), from modules beside the pipeline. */
  extraStatus: (() => Record<string, unknown>) | null = null;
  /** Packages with DONE but files still missing (logged once each). */
  private readonly waitingFor = new Set<string>();

  constructor(private readonly d: PipelineDeps) {
    const data = d.config.dataDir;
    this.dirs = {
      inbox: d.config.inboxDir,
      work: path.join(data, 'work'),
      films: path.join(data, 'films'),
      quarantine: path.join(data, 'quarantine'),
    };
    this.log = d.log;
  }

  job(id: string): Job | undefined {
    return this.d.jobs.get(id);
  }

  /** A local film that must stay: on the big screen's playlist, or not yet through the pipeline (upload included). */
  isProtected(id: string): boolean {
    const state = this.d.jobs.get(id)?.state;
    return this.d.player.status().playlist.includes(id) || (state !== undefined && state !== 'done' && state !== 'failed');
  }

  filmFile(id: string): string {
    return path.join(this.dirs.films, id, 'movie.mp4');
  }

  async start(): Promise<void> {
    for (const dir of Object.values(this.dirs)) await mkdir(dir, { recursive: true });
    this.running = true;
    await this.recover();
    this.renderLoop = this.runRenderLoop();
    this.uploadLoop = this.runUploadLoop();
    try {
      const w = watch(this.dirs.inbox, () => this.queueScan());
      w.on('error', (err) => this.log.warn({ err: err.message }, 'ingest.watch_failed'));
      this.watchers.set('', w);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'ingest.watch_failed');
    }
    // Events get lost (and rsync writes inside subdirectories); a rescan catches everything.
    this.rescanTimer = setInterval(() => this.queueScan(), this.d.config.rescanMs);
    await this.scan();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.scanQueued) clearTimeout(this.scanQueued);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.renderWake?.();
    this.uploadWake?.();
    await Promise.allSettled([this.renderLoop, this.uploadLoop, this.scanning]);
  }

  // ---- recovery ------------------------------------------------------------------

  private async recover(): Promise<void> {
    await this.d.jobs.load((file, reason) => this.log.error({ file, reason }, 'job.unreadable'));
    // A package moved out of the inbox just before a crash has no job file yet.
    for (const name of await readdir(this.dirs.work)) {
      if (!isValidId(name) || this.d.jobs.has(name)) continue;
      if (await exists(path.join(this.dirs.work, name, 'package'))) {
        await this.d.jobs.put(newJob(name));
        this.log.info({ id: name }, 'job.recovered');
      } else {
        await rm(path.join(this.dirs.work, name), { recursive: true, force: true });
      }
    }
    for (const job of this.d.jobs.all()) {
      if (job.state === 'rendering') await killLeftoverTool(path.join(this.dirs.work, job.id), this.log);
      if (job.state === 'rendered') await this.afterRendered(job);
      else if (job.state === 'rendering' || job.state === 'received' || job.state === 'uploading') {
        this.log.info({ id: job.id, state: job.state }, 'job.resumed');
      }
    }
  }

  // ---- ingest --------------------------------------------------------------------

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
          this.log.error({ err: errorMessage(err) }, 'ingest.scan_failed');
        }
      } while (this.scanAgain && this.running);
    })().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (!this.running) return;
    const names: string[] = [];
    for (const raw of await readdir(this.dirs.inbox, { encoding: 'buffer' })) {
      if (isUtf8Name(raw)) names.push(raw.toString('utf8'));
      else
        await this.badlyNamed(raw).catch((err: unknown) =>
          this.log.error({ name: showName(raw), err: errorMessage(err) }, 'ingest.failed'),
        );
    }
    const seen = new Set<string>();
    for (const name of names.sort()) {
      if (!this.running) return;
      // rsync's temporary names start with a dot.
      if (name.startsWith('.')) continue;
      seen.add(name);
      const dir = path.join(this.dirs.inbox, name);
      try {
        const st = await lstat(dir);
        if (!st.isDirectory()) {
          if (!this.notedNonDirs.has(name)) {
            this.notedNonDirs.add(name);
            this.log.warn({ name: name.slice(0, 80) }, 'ingest.not_a_directory');
          }
          continue;
        }
        // A station's area; a stray DONE in it does not make it a package.
        if (await isStationArea(name, dir)) {
          this.unwatch(name);
          await this.scanArea(name, dir, seen);
          continue;
        }
        const done = await lstat(path.join(dir, DONE_FILE)).catch(() => null);
        if (!done) {
          this.watchPending(name, dir);
          continue;
        }
        this.unwatch(name);
        if (!done.isFile()) {
          await this.quarantineStray(name, dir, 'DONE is not a regular file');
        } else if (!isValidId(name)) {
          await this.quarantineStray(name, dir, 'package directory name is not a valid movie id');
        } else {
          await this.take(name, dir);
        }
      } catch (err) {
        // One bad package never stops the others.
        this.log.error({ name: name.slice(0, 80), err: errorMessage(err) }, 'ingest.failed');
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
    const names: string[] = [];
    for (const raw of await readdir(areaDir, { encoding: 'buffer' })) {
      if (isUtf8Name(raw)) names.push(raw.toString('utf8'));
      else
        await this.badlyNamed(raw, areaDir).catch((err: unknown) =>
          this.log.error({ name: showName(raw), err: errorMessage(err) }, 'ingest.failed'),
        );
    }
    for (const name of names.sort()) {
      if (!this.running) return;
      if (name.startsWith('.')) continue;
      const key = `${station}/${name}`;
      seen.add(key);
      const dir = path.join(areaDir, name);
      try {
        const st = await lstat(dir);
        if (!st.isDirectory()) {
          if (!this.notedNonDirs.has(key)) {
            this.notedNonDirs.add(key);
            this.log.warn({ name: key.slice(0, 120) }, 'ingest.not_a_directory');
          }
          continue;
        }
        const done = await lstat(path.join(dir, DONE_FILE)).catch(() => null);
        if (!done) {
          this.watchPending(key, dir);
          continue;
        }
        this.unwatch(key);
        if (!done.isFile()) {
          await this.quarantineStray(key, dir, 'DONE is not a regular file');
        } else if (!isValidId(name)) {
          await this.quarantineStray(key, dir, 'package directory name is not a valid movie id');
        } else {
          await this.take(name, dir, station);
        }
      } catch (err) {
        this.log.error({ name: key.slice(0, 120), err: errorMessage(err) }, 'ingest.failed');
      }
    }
  }

  /**
   * An inbox entry whose name is not UTF-8 cannot be named by a string path (it reads
   * back with U+FFFD): it is handled by its bytes, and quarantined once its DONE is there.
   */
  private async badlyNamed(raw: Buffer, parent: string = this.dirs.inbox): Promise<void> {
    const shown = showName(raw);
    const dir = joinBytes(parent, raw);
    const st = await lstat(dir);
    const key = `bytes:${parent === this.dirs.inbox ? '' : `${path.basename(parent)}/`}${raw.toString('hex')}`;
    if (!st.isDirectory()) {
      if (!this.notedNonDirs.has(key)) {
        this.notedNonDirs.add(key);
        this.log.warn({ name: shown }, 'ingest.not_a_directory');
      }
      return;
    }
    if (!(await lstat(joinBytes(dir, Buffer.from(DONE_FILE))).catch(() => null))) return;
    await this.quarantineStray(shown, dir, 'package directory name is not valid UTF-8');
  }

  /** Watches a package that is still arriving (or a station's area), so its DONE is noticed at once. */
  private watchPending(name: string, dir: string, anyChange = false): void {
    if (this.watchers.has(name) || this.watchers.size > 200) return;
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

  private async take(id: string, dir: string, station: string | null = null): Promise<void> {
    const existing = this.d.jobs.get(id);
    if (existing && existing.state !== 'quarantined' && existing.state !== 'failed') {
      await rm(dir, { recursive: true, force: true });
      this.log.info({ id, state: existing.state }, existing.state === 'removed' ? 'package.removed_film' : 'package.duplicate');
      return;
    }
    const intake = await checkDelivery(dir, id, { graceMs: this.d.config.packageGraceMs });
    if (intake.kind === 'wait') {
      if (!this.waitingFor.has(id)) {
        this.waitingFor.add(id);
        this.log.warn({ id, missing: intake.missing.length, first: intake.missing[0], waitMs: intake.leftMs }, 'package.incomplete');
      }
      return;
    }
    this.waitingFor.delete(id);
    if (intake.kind === 'refuse') {
      await this.quarantineDelivery(id, dir, intake.reason);
      return;
    }
    const workDir = path.join(this.dirs.work, id);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    // Recorded before the package moves, so a crash cannot leave it without its origin.
    if (station !== null) await writeDurable(path.join(workDir, FROM_STATION_FILE), station);
    const target = path.join(workDir, 'package');
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
    const job = newJob(id);
    await this.d.jobs.put(job);
    this.log.info({ id, retry: Boolean(existing), ...(station !== null ? { area: station } : {}) }, 'package.received');
    this.renderWake?.();
  }

  /** A delivery refused before it is taken in: on record as a quarantined job, so a later complete delivery still makes the film. */
  private async quarantineDelivery(id: string, dir: string, reason: string): Promise<void> {
    const target = path.join(this.dirs.quarantine, id);
    await rm(target, { recursive: true, force: true });
    await rename(dir, target);
    await writeFile(path.join(target, 'REASON'), `${reason}\n`);
    await fsyncDir(this.dirs.quarantine);
    await this.d.jobs.put(newJob(id));
    await this.d.jobs.update(id, { state: 'quarantined', reason });
    this.log.warn({ id, reason }, 'package.quarantined');
  }

  private async quarantineStray(name: string, dir: string | Buffer, reason: string): Promise<void> {
    const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'package';
    const target = path.join(this.dirs.quarantine, `invalid-${safe}-${Date.now()}`);
    await rename(dir, target);
    await writeFile(path.join(target, 'REASON'), `${reason}\noriginal name: ${JSON.stringify(name)}\n`);
    this.strays.push({ name: name.slice(0, 80), reason, at: new Date().toISOString() });
    if (this.strays.length > 100) this.strays.shift();
    this.log.warn({ name: name.slice(0, 80), reason }, 'package.quarantined');
  }

  private async quarantine(job: Job, reason: string, dropped: DroppedFrame[]): Promise<void> {
    const workDir = path.join(this.dirs.work, job.id);
    const target = path.join(this.dirs.quarantine, job.id);
    await rm(target, { recursive: true, force: true });
    const pkg = path.join(workDir, 'package');
    if (await exists(pkg)) await rename(pkg, target);
    else await mkdir(target, { recursive: true });
    const lines = [reason, ...dropped.map((d) => `dropped ${d.file}: ${d.reason}`)];
    await writeFile(path.join(target, 'REASON'), `${lines.join('\n')}\n`);
    await fsyncDir(this.dirs.quarantine);
    await this.d.jobs.update(job.id, { state: 'quarantined', reason, dropped });
    this.log.warn({ id: job.id, reason }, 'package.quarantined');
    await rm(workDir, { recursive: true, force: true });
  }

  // ---- render --------------------------------------------------------------------

  private nextRenderJob(): Job | undefined {
    const now = Date.now();
    return this.d.jobs.all().find((j) => (j.state === 'received' || j.state === 'rendering') && (this.retryAt.get(j.id) ?? 0) <= now);
  }

  private async runRenderLoop(): Promise<void> {
    while (this.running) {
      const job = this.nextRenderJob();
      if (!job) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          this.renderWake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.renderWake = null;
        continue;
      }
      try {
        await this.renderJob(job);
      } catch (err) {
        this.log.error({ id: job.id, err: errorMessage(err) }, 'render.crashed');
        await this.noteCrash(job.id, err);
      } finally {
        this.progress.delete(job.id);
      }
    }
  }

  /** An unexpected error counts as a failed render: after a few, the package is quarantined, never retried for ever. */
  private async noteCrash(id: string, err: unknown): Promise<void> {
    const job = this.d.jobs.get(id);
    if (!job) return;
    const failures = job.renderFailures + 1;
    try {
      if (failures >= MAX_RENDER_FAILURES) {
        await this.quarantine(job, `render crashed ${failures} times: ${errorMessage(err)}`, job.dropped);
      } else {
        await this.d.jobs.update(id, { renderFailures: failures, reason: errorMessage(err) });
        this.retryAt.set(id, Date.now() + 5000 * failures);
      }
    } catch (again) {
      this.log.error({ id, err: errorMessage(again) }, 'render.crash_unrecorded');
      this.retryAt.set(id, Date.now() + 5000 * failures);
    }
  }

  private async renderJob(initial: Job): Promise<void> {
    const c = this.d.config;
    const id = initial.id;
    const workDir = path.join(this.dirs.work, id);
    const packageDir = path.join(workDir, 'package');
    if (!(await exists(packageDir))) {
      await this.d.jobs.update(id, { state: 'failed', reason: 'the package files are gone' });
      this.log.error({ id }, 'render.package_missing');
      return;
    }
    const v = await validatePackage(packageDir, id, c);
    for (const d of v.dropped) this.log.warn({ id, file: d.file, reason: d.reason }, 'frame.dropped');
    if (!v.ok) {
      await this.quarantine(initial, v.reason, v.dropped);
      return;
    }
    for (const w of v.warnings) this.log.warn({ id, warning: w }, 'package.warning');
    const fixed = fixTitle(v.pkg.title);
    for (const reason of fixed.reasons) this.log.warn({ id, reason }, 'title.fixed');
    const pkg = { ...v.pkg, title: fixed.title ?? null };
    // A station's secret only opens its own area: the area, not the manifest, says who sent it.
    const area = await readFromStation(workDir);
    if (area !== null) {
      if (!area.ok) {
        await this.quarantine(initial, `the record of the station area this package came from is unreadable (${area.reason})`, v.dropped);
        return;
      }
      if (pkg.layout === 'original') pkg.stationId = area.station;
      else if (pkg.stationId !== area.station) {
        await this.quarantine(
          initial,
          `the manifest says stationId ${JSON.stringify(pkg.stationId)} but the package came from the area of station ${JSON.stringify(area.station)} (inbox/${area.station}/)`,
          v.dropped,
        );
        return;
      }
    }
    // The frames decide the film's size; a manifest's width and height are only a claim.
    const natural = dominantSize(v.frames);
    if (pkg.width !== null && (pkg.width !== natural.width || pkg.height !== natural.height)) {
      this.log.warn({ id, manifest: `${pkg.width}x${pkg.height}`, frames: `${natural.width}x${natural.height}` }, 'package.size_mismatch');
    }
    if (pkg.publish === 'public' && this.d.uploader && (await this.publicIdTaken(initial))) return;
    const startedAt = new Date();
    let job = await this.d.jobs.update(id, {
      state: 'rendering',
      publish: pkg.publish,
      title: pkg.title,
      stationId: pkg.stationId,
      createdAt: pkg.createdAt ?? initial.receivedAt,
      ownerKeyHash: pkg.ownerKeyHash,
      fps: pkg.fps,
      dropped: v.dropped,
      renderStartedAt: startedAt.toISOString(),
    });
    this.progress.set(id, 0);
    this.log.info({ id, frames: v.frames.length, dropped: v.dropped.length, publish: pkg.publish }, 'render.started');
    let result: Awaited<ReturnType<typeof renderFilm>>;
    const budget = startRenderBudget(renderBudgetMs(v.frames.length, c), this.abort.signal);
    try {
      result = await renderFilm({
        workDir,
        packageDir,
        frames: v.frames,
        fps: pkg.fps,
        nominal: null,
        title: {
          eventName: c.eventName,
          title: pkg.title,
          stationId: pkg.stationId,
          date: formatCardDate(pkg.createdAt ?? job.receivedAt, c.eventTimeZone),
          seconds: c.titleSeconds,
          fontFile: c.fontFile,
          fontFileBold: c.fontFileBold,
          logoFile: c.titleLogo,
        },
        maxWidth: c.maxOutputWidth,
        maxHeight: c.maxOutputHeight,
        encoder: {
          preset: c.renderPreset,
          crf: c.renderCrf,
          threads: c.renderThreads,
          choice: c.renderEncoder,
          vaapiDevice: c.renderVaapiDevice,
        },
        soundtrack: pkg.soundtrack ? { tracksDir: c.tracksDir, id: pkg.soundtrack } : null,
        log: this.log,
        id,
        preview: c.renderPreview,
        nice: c.renderNice,
        timeoutMs: budget.ms,
        signal: budget.signal,
        pidFile: path.join(workDir, TOOL_PID_FILE),
        onProgress: (f) => this.progress.set(id, f),
      });
    } catch (err) {
      if (this.running && (budget.expired() || (err instanceof ToolError && err.kind === 'timeout'))) {
        // Slow now means slow every time: quarantined at once, so the films behind it premiere.
        const reason = `render took longer than its budget of ${Math.round(budget.ms / 1000)} s for ${v.frames.length} frame(s)`;
        await this.quarantine(job, reason, v.dropped);
        return;
      }
      if (!this.running || (err instanceof ToolError && err.kind === 'aborted')) return;
      const failures = job.renderFailures + 1;
      const detail = err instanceof ToolError && err.stderrTail ? `${err.message}\n${err.stderrTail}` : errorMessage(err);
      this.log.error({ id, failures, err: detail }, 'render.failed');
      if (failures >= MAX_RENDER_FAILURES) {
        await this.d.jobs.update(id, {
          state: 'failed',
          renderFailures: failures,
          reason: `render failed ${failures} times: ${errorMessage(err)}`,
        });
      } else {
        await this.d.jobs.update(id, { renderFailures: failures, reason: errorMessage(err) });
        this.retryAt.set(id, Date.now() + 5000 * failures);
      }
      return;
    } finally {
      budget.clear();
    }
    const dropped = [...v.dropped, ...result.dropped];
    for (const d of result.dropped) this.log.warn({ id, file: d.file, reason: d.reason }, 'frame.dropped');
    if ('failed' in result) {
      await this.quarantine(job, result.failed, dropped);
      return;
    }
    if (this.d.jobs.get(id)?.state === 'removed') return;
    await publishLocally(path.join(workDir, 'out'), path.join(this.dirs.films, id));
    const renderMs = Date.now() - startedAt.getTime();
    job = await this.d.jobs.update(id, {
      state: 'rendered',
      frameCount: result.frameCount,
      width: result.width,
      height: result.height,
      durationSec: result.durationSec,
      hasPreview: result.preview !== null,
      audio: result.audio,
      dropped,
      renderMs,
      reason: null,
    });
    this.log.info(
      { id, renderMs, frames: result.frameCount, width: result.width, height: result.height, audio: result.audio, encoder: result.encoder },
      'render.done',
    );
    await this.afterRendered(job);
  }

  /**
   * A public id already published (another processor's film, or this one's after its
   * job store was lost) is quarantined before any render, so the original is never
   * replaced; a removed one is dropped. With S3 away the check is left to the upload,
   * which refuses the same things.
   */
  private async publicIdTaken(job: Job): Promise<boolean> {
    const uploader = this.d.uploader;
    if (!uploader) return false;
    let state: Awaited<ReturnType<typeof publicIdState>>;
    try {
      state = await publicIdState(uploader, job.id);
    } catch (err) {
      this.log.warn({ id: job.id, err: errorMessage(err) }, 'film.check_deferred');
      return false;
    }
    if (state === 'removed') {
      await removeFilm(this.removalDeps(), job.id, 'tombstone found before render');
      return true;
    }
    if (state === 'taken') {
      await this.quarantine(
        job,
        `a film with id ${job.id} is already published (${movieKeys(job.id).meta}) and this processor has no job for it; not rendered, so the original is not replaced`,
        [],
      );
      return true;
    }
    return false;
  }

  removalDeps() {
    return { jobs: this.d.jobs, player: this.d.player, dirs: this.dirs, log: this.log };
  }

  /** The film is on disk: it goes on the big screen at once, then (public only) to S3. */
  private async afterRendered(job: Job): Promise<void> {
    const id = job.id;
    try {
      await this.d.player.add({ id, file: this.filmFile(id) });
    } catch (err) {
      // The playlist on disk is updated first; mpv catches up when it is back.
      this.log.warn({ id, err: errorMessage(err) }, 'player.add_failed');
    }
    if (job.publish === 'public' && this.d.uploader) {
      await this.d.jobs.update(id, { state: 'uploading' });
      this.uploadWake?.();
    } else {
      if (job.publish === 'public') this.log.warn({ id }, 'upload.disabled');
      await this.d.jobs.update(id, { state: 'done', doneAt: new Date().toISOString() });
    }
    // The frames are in the film now; the package can go.
    await rm(path.join(this.dirs.work, id), { recursive: true, force: true });
  }

  // ---- upload --------------------------------------------------------------------

  private async runUploadLoop(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const waiting = this.d.jobs.all().filter((j) => j.state === 'uploading');
      const due = waiting.find((j) => !j.nextUploadAt || Date.parse(j.nextUploadAt) <= now);
      if (!due || !this.d.uploader) {
        const next = waiting.map((j) => (j.nextUploadAt ? Date.parse(j.nextUploadAt) : now)).sort((a, b) => a - b)[0];
        const wait = next === undefined ? 1000 : Math.max(50, Math.min(1000, next - now));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.uploadWake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.uploadWake = null;
        continue;
      }
      await this.uploadJob(due, this.d.uploader);
    }
  }

  private async uploadJob(job: Job, uploader: WriteOnceUploader): Promise<void> {
    const id = job.id;
    const keys = movieKeys(id);
    const dir = path.join(this.dirs.films, id);
    this.log.info({ id, attempt: job.uploadAttempts + 1 }, 'upload.started');
    try {
      let j = job;
      await uploader.checkBeforeUpload(j);
      if (!j.uploaded.video) {
        await uploader.putFile(keys.video, path.join(dir, 'movie.mp4'), 'video/mp4', IMMUTABLE_CACHE);
        j = await this.d.jobs.update(id, { uploaded: { ...j.uploaded, video: true } });
      }
      if (!j.uploaded.poster) {
        await uploader.putFile(keys.poster, path.join(dir, 'poster.jpg'), 'image/jpeg', IMMUTABLE_CACHE);
        j = await this.d.jobs.update(id, { uploaded: { ...j.uploaded, poster: true } });
      }
      if (j.hasPreview && !j.uploaded.preview) {
        await uploader.putFile(keys.preview, path.join(dir, 'preview.mp4'), 'video/mp4', IMMUTABLE_CACHE);
        j = await this.d.jobs.update(id, { uploaded: { ...j.uploaded, preview: true } });
      }
      const meta = filmMeta(j);
      const outcome = await uploader.putMeta(meta);
      j = await this.d.jobs.update(id, { uploaded: { ...j.uploaded, meta: true }, uploadedAt: new Date().toISOString() });
      this.log.info({ id, meta: outcome, attempts: j.uploadAttempts + 1 }, 'upload.done');
      if (this.d.notices) {
        await this.d.notices
          .publish({ type: 'film.added', id, at: new Date().toISOString() })
          .catch((err: unknown) => this.log.warn({ id, err: errorMessage(err) }, 'redis.publish_failed'));
      }
      await this.d.jobs.update(id, { state: 'done', doneAt: new Date().toISOString(), lastUploadError: null, nextUploadAt: null });
    } catch (err) {
      if (!this.running) return;
      if (err instanceof FilmRemovedError) {
        await removeFilm(this.removalDeps(), id, 'tombstone found at upload');
        return;
      }
      if (err instanceof FilmConflictError) {
        await this.d.jobs.update(id, { state: 'failed', reason: err.message, lastUploadError: err.message, nextUploadAt: null });
        this.log.error({ id, key: err.key, reason: err.message }, 'upload.refused');
        return;
      }
      const attempts = job.uploadAttempts + 1;
      const delay = backoffMs(attempts, this.d.uploadRetryCapMs);
      const current = this.d.jobs.get(id) ?? job;
      await this.d.jobs.update(id, {
        uploaded: current.uploaded,
        uploadAttempts: attempts,
        lastUploadError: errorMessage(err).slice(0, 300),
        nextUploadAt: new Date(Date.now() + delay).toISOString(),
      });
      this.log.warn({ id, attempts, retryInMs: delay, err: errorMessage(err) }, 'upload.retry');
    }
  }

  // ---- moderation and status -------------------------------------------------------

  /** Takes a film off the big screen (moderation or an operator). */
  async takeDown(id: string, why: string): Promise<void> {
    if (!isValidId(id)) return;
    await this.d.player.remove(id);
    this.log.info({ id, why }, 'film.taken_down');
  }

  async showAgain(id: string): Promise<void> {
    if (!isValidId(id)) return;
    const job = this.d.jobs.get(id);
    if (!job || (job.state !== 'done' && job.state !== 'uploading')) return;
    if (!(await exists(this.filmFile(id)))) {
      // Cleaned by retention while off the screen: the website still has it.
      this.log.warn({ id }, 'film.local_copy_gone');
      return;
    }
    await this.d.player.restore({ id, file: this.filmFile(id) });
  }

  async status(): Promise<Record<string, unknown>> {
    const jobs = this.d.jobs.all();
    const player = this.d.player.status();
    let disk: { freeBytes: number; totalBytes: number } | null = null;
    try {
      const s = await statfs(this.d.config.dataDir);
      disk = { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch {
      disk = null;
    }
    const view = (j: Job) => ({
      id: j.id,
      state: j.state,
      publish: j.publish,
      progress: j.state === 'rendering' ? (this.progress.get(j.id) ?? 0) : ['rendered', 'uploading', 'done'].includes(j.state) ? 1 : 0,
      title: j.title,
      stationId: j.stationId,
      receivedAt: j.receivedAt,
      updatedAt: j.updatedAt,
      frameCount: j.frameCount,
      durationSec: j.durationSec,
      renderMs: j.renderMs,
      dropped: j.dropped,
      reason: j.reason,
      upload:
        j.publish === 'public'
          ? { attempts: j.uploadAttempts, lastError: j.lastUploadError, nextAttemptAt: j.nextUploadAt, uploadedAt: j.uploadedAt }
          : null,
    });
    return {
      service: 'processor',
      time: new Date().toISOString(),
      jobs: jobs.map(view),
      queue: jobs.filter((j) => j.state === 'received' || j.state === 'rendering').map((j) => j.id),
      recent: jobs
        .filter((j) => j.state === 'done' || j.state === 'uploading')
        .slice(-20)
        .reverse()
        .map((j) => ({ id: j.id, title: j.title, renderMs: j.renderMs, doneAt: j.doneAt, publish: j.publish })),
      uploadsWaiting: jobs
        .filter((j) => j.state === 'uploading')
        .map((j) => ({ id: j.id, attempts: j.uploadAttempts, lastError: j.lastUploadError, nextAttemptAt: j.nextUploadAt })),
      failures: jobs.filter((j) => j.state === 'failed').map((j) => ({ id: j.id, reason: j.reason })),
      quarantine: [
        ...jobs.filter((j) => j.state === 'quarantined').map((j) => ({ id: j.id, reason: j.reason, at: j.updatedAt })),
        ...this.strays.map((s) => ({ id: null, name: s.name, reason: s.reason, at: s.at })),
      ],
      playlist: player.playlist,
      nowPlaying: player.nowPlaying,
      player,
      disk,
      retention: this.d.retention?.status() ?? null,
      removed: jobs.filter((j) => j.state === 'removed').map((j) => ({ id: j.id, at: j.updatedAt })),
      ...(this.extraStatus?.() ?? {}),
    };
  }
}

export function filmMeta(j: Job): FilmMeta {
  return {
    id: j.id,
    title: j.title,
    stationId: j.stationId ?? 'unknown',
    createdAt: j.createdAt ?? j.receivedAt,
    durationSec: j.durationSec ?? 0,
    fps: j.fps ?? 10,
    frameCount: j.frameCount ?? 1,
    width: j.width ?? 2,
    height: j.height ?? 2,
    ...(j.ownerKeyHash ? { ownerKeyHash: j.ownerKeyHash } : {}),
    hasPreview: j.hasPreview,
    audio: j.audio,
  };
}

export const TOOL_PID_FILE = 'tool.pid';

/**
 * An ffmpeg started by a processor that was then killed keeps running as an orphan.
 * Its pid was recorded; it is ended only if that pid still runs an ffmpeg working in
 * this job's directory (pids get reused).
 */
async function killLeftoverTool(workDir: string, log: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(path.join(workDir, TOOL_PID_FILE), 'utf8'), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!/ff(mpeg|probe)$/.test(cmdline[0] ?? '') || !cmdline.some((a) => a.startsWith(workDir))) return;
    process.kill(pid, 'SIGKILL');
    log.info({ pid }, 'render.leftover_killed');
  } catch {
    // Gone already.
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether an inbox directory is a station's area: it has the marker (made with the
 * area by stop-motion-station-secret), or it holds nothing but package directories, at
 * least one of them with its manifest or DONE there; the marker is then added, so an
 * area that is empty for now, or a stray DONE at its top, never makes the area itself
 * look like a package. A package (files at its top, rsync's temporary entries while it
 * arrives, or only subdirectories that are not packages) never qualifies.
 */
async function isStationArea(name: string, dir: string): Promise<boolean> {
  if (!isValidId(name)) return false;
  const exists = (p: string) =>
    lstat(p).then(
      () => true,
      () => false,
    );
  if (await exists(path.join(dir, AREA_MARKER))) return true;
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.length === 0 || entries.some((e) => !e.isDirectory() || e.name.startsWith('.'))) return false;
  let packages = false;
  for (const e of entries) {
    if (!isValidId(e.name)) continue;
    const inner = path.join(dir, e.name);
    if ((await exists(path.join(inner, MANIFEST_FILE))) || (await exists(path.join(inner, DONE_FILE)))) {
      packages = true;
      break;
    }
  }
  if (!packages) return false;
  // O_EXCL: never through a link a station may have put there meanwhile.
  await writeFile(path.join(dir, AREA_MARKER), "a station's delivery area: inbox/<stationId>/<movieId>/\n", { flag: 'wx' }).catch(
    () => undefined,
  );
  return true;
}

async function writeDurable(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w', 0o640);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

async function readFromStation(workDir: string): Promise<{ ok: true; station: string } | { ok: false; reason: string } | null> {
  let text: string;
  try {
    text = await readFile(path.join(workDir, FROM_STATION_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { ok: false, reason: errorMessage(err) };
  }
  return isValidId(text) ? { ok: true, station: text } : { ok: false, reason: 'not a station id' };
}
