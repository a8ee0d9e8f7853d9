// Just over 300 lines: a render's checks and its failure handling read best as one sequence.

import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { exists, type LoopBeats } from '@stop-motion/kit';
import { fixTitle, isValidId, movieKeys } from '@stop-motion/protocol';
import { renderBudgetMs, startRenderBudget } from './budget.js';
import type { ProcessorConfig } from './config.js';
import { FROM_STATION_FILE, filmDirOf, type PipelineDirs, packageDirOf, TOOL_PID_FILE, workDirOf } from './dirs.js';
import { ToolError } from './ffmpeg.js';
import { errorMessage } from './files.js';
import type { Job, JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { Player } from './player.js';
import type { Quarantine } from './quarantine.js';
import { publicIdState, type RemovalDeps, removeFilm } from './reconcile.js';
import { publishLocally, renderFilm } from './render.js';
import type { ReviewQueue } from './review.js';
import { formatCardDate } from './title.js';
import { dominantSize, validatePackage } from './validate.js';
import { WorkerLoop } from './worker-loop.js';
import type { WriteOnceUploader } from './write-once.js';

const MAX_RENDER_FAILURES = 3;
const IDLE_MS = 1000;

export interface RenderWorkerDeps {
  config: ProcessorConfig;
  log: Logger;
  jobs: JobStore;
  dirs: PipelineDirs;
  player: Player;
  uploader: WriteOnceUploader | null;
  quarantine: Quarantine;
  removal: RemovalDeps;
  /** A public film is rendered: the upload worker has work. */
  onUploadDue: () => void;
  /** MODERATION=pre: public films wait here before S3 (review.ts). */
  review?: ReviewQueue | null;
  /** The systemd watchdog is fed only while this loop beats. */
  beats?: LoopBeats | null;
}

/**
 * Drains the render queue one package at a time: validate, check the station area and
 * the public id, one ffmpeg pass within the package's budget, then the film goes on the
 * big screen and (public only) to the upload worker. Failures are counted; a package
 * that keeps failing, or is too slow, is quarantined so the films behind it premiere.
 */
export class RenderWorker extends WorkerLoop {
  private readonly abort = new AbortController();
  private readonly retryAt = new Map<string, number>();
  private readonly progress = new Map<string, number>();

  constructor(private readonly deps: RenderWorkerDeps) {
    super();
  }

  /** Stops the running ffmpeg (the job resumes on the next start) and the loop. */
  protected override onStop(): void {
    this.abort.abort();
  }

  /** 0…1 for the film being rendered. */
  progressOf(id: string): number | undefined {
    return this.progress.get(id);
  }

  private nextJob(): Job | undefined {
    const now = Date.now();
    return this.deps.jobs.all().find((j) => (j.state === 'received' || j.state === 'rendering') && (this.retryAt.get(j.id) ?? 0) <= now);
  }

  protected async step(): Promise<number | undefined> {
    this.deps.beats?.beat('render');
    const job = this.nextJob();
    if (!job) return IDLE_MS;
    try {
      await this.renderJob(job);
    } catch (err) {
      this.deps.log.error({ event: 'render.crashed', id: job.id, err: errorMessage(err) }, 'render crashed');
      await this.noteCrash(job.id, err);
    } finally {
      this.progress.delete(job.id);
    }
    return undefined;
  }

  /** An unexpected error counts as a failed render: after a few, the package is quarantined, never retried for ever. */
  private async noteCrash(id: string, err: unknown): Promise<void> {
    const job = this.deps.jobs.get(id);
    if (!job) return;
    const failures = job.renderFailures + 1;
    try {
      if (failures >= MAX_RENDER_FAILURES) {
        await this.deps.quarantine.job(job, `render crashed ${failures} times: ${errorMessage(err)}`, job.dropped);
      } else {
        await this.deps.jobs.update(id, { renderFailures: failures, reason: errorMessage(err) });
        this.retryAt.set(id, Date.now() + 5000 * failures);
      }
    } catch (again) {
      this.deps.log.error({ event: 'render.crash_unrecorded', id, err: errorMessage(again) }, 'render crash unrecorded');
      this.retryAt.set(id, Date.now() + 5000 * failures);
    }
  }

  private async renderJob(initial: Job): Promise<void> {
    const c = this.deps.config;
    const log = this.deps.log;
    const id = initial.id;
    const workDir = workDirOf(this.deps.dirs, id);
    const packageDir = packageDirOf(this.deps.dirs, id);
    if (!(await exists(packageDir))) {
      await this.deps.jobs.update(id, { state: 'failed', reason: 'the package files are gone' });
      log.error({ event: 'render.package_missing', id }, 'render package missing');
      return;
    }
    const v = await validatePackage(packageDir, id, c);
    for (const d of v.dropped) log.warn({ event: 'frame.dropped', id, file: d.file, reason: d.reason }, 'frame dropped');
    if (!v.ok) {
      await this.deps.quarantine.job(initial, v.reason, v.dropped);
      return;
    }
    for (const w of v.warnings) log.warn({ event: 'package.warning', id, warning: w }, 'package warning');
    const fixed = fixTitle(v.pkg.title);
    for (const reason of fixed.reasons) log.warn({ event: 'title.fixed', id, reason }, 'title fixed');
    const pkg = { ...v.pkg, title: fixed.title ?? null };
    // A station's secret only opens its own area: the area, not the manifest, says who sent it.
    const area = await readFromStation(workDir);
    if (area !== null) {
      if (!area.ok) {
        await this.deps.quarantine.job(
          initial,
          `the record of the station area this package came from is unreadable (${area.reason})`,
          v.dropped,
        );
        return;
      }
      if (pkg.layout === 'original') pkg.stationId = area.station;
      else if (pkg.stationId !== area.station) {
        await this.deps.quarantine.job(
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
      log.warn(
        { event: 'package.size_mismatch', id, manifest: `${pkg.width}x${pkg.height}`, frames: `${natural.width}x${natural.height}` },
        'package size mismatch',
      );
    }
    if (pkg.publish === 'public' && this.deps.uploader && (await this.publicIdTaken(initial))) return;
    const startedAt = new Date();
    let job = await this.deps.jobs.update(id, {
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
    log.info({ event: 'render.started', id, frames: v.frames.length, dropped: v.dropped.length, publish: pkg.publish }, 'render started');
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
        log,
        id,
        preview: c.renderPreview,
        nice: c.renderNice,
        timeoutMs: budget.ms,
        signal: budget.signal,
        pidFile: path.join(workDir, TOOL_PID_FILE),
        onProgress: (f) => {
          this.progress.set(id, f);
          this.deps.beats?.beat('render');
        },
      });
    } catch (err) {
      if (this.running && (budget.expired() || (err instanceof ToolError && err.kind === 'timeout'))) {
        // Slow now means slow every time: quarantined at once, so the films behind it premiere.
        const reason = `render took longer than its budget of ${Math.round(budget.ms / 1000)} s for ${v.frames.length} frame(s)`;
        await this.deps.quarantine.job(job, reason, v.dropped);
        return;
      }
      if (!this.running || (err instanceof ToolError && err.kind === 'aborted')) return;
      const failures = job.renderFailures + 1;
      const detail = err instanceof ToolError && err.stderrTail ? `${err.message}\n${err.stderrTail}` : errorMessage(err);
      log.error({ event: 'render.failed', id, failures, err: detail }, 'render failed');
      if (failures >= MAX_RENDER_FAILURES) {
        await this.deps.jobs.update(id, {
          state: 'failed',
          renderFailures: failures,
          reason: `render failed ${failures} times: ${errorMessage(err)}`,
        });
      } else {
        await this.deps.jobs.update(id, { renderFailures: failures, reason: errorMessage(err) });
        this.retryAt.set(id, Date.now() + 5000 * failures);
      }
      return;
    } finally {
      budget.clear();
    }
    const dropped = [...v.dropped, ...result.dropped];
    for (const d of result.dropped) log.warn({ event: 'frame.dropped', id, file: d.file, reason: d.reason }, 'frame dropped');
    if ('failed' in result) {
      await this.deps.quarantine.job(job, result.failed, dropped);
      return;
    }
    if (this.deps.jobs.get(id)?.state === 'removed') return;
    await publishLocally(path.join(workDir, 'out'), filmDirOf(this.deps.dirs, id));
    const renderMs = Date.now() - startedAt.getTime();
    job = await this.deps.jobs.update(id, {
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
    log.info(
      {
        event: 'render.done',
        id,
        renderMs,
        frames: result.frameCount,
        width: result.width,
        height: result.height,
        audio: result.audio,
        encoder: result.encoder,
      },
      'render done',
    );
    await this.handOff(job);
  }

  /**
   * A public id already published (another processor's film, or this one's after its
   * job store was lost) is quarantined before any render, so the original is never
   * replaced; a removed one is dropped. With S3 away the check is left to the upload,
   * which refuses the same things.
   */
  private async publicIdTaken(job: Job): Promise<boolean> {
    const uploader = this.deps.uploader;
    if (!uploader) return false;
    let state: Awaited<ReturnType<typeof publicIdState>>;
    try {
      state = await publicIdState(uploader, job.id);
    } catch (err) {
      this.deps.log.warn({ event: 'film.check_deferred', id: job.id, err: errorMessage(err) }, 'film check deferred');
      return false;
    }
    if (state === 'removed') {
      await removeFilm(this.deps.removal, job.id, 'tombstone found before render');
      return true;
    }
    if (state === 'taken') {
      await this.deps.quarantine.job(
        job,
        `a film with id ${job.id} is already published (${movieKeys(job.id).meta}) and this processor has no job for it; not rendered, so the original is not replaced`,
        [],
      );
      return true;
    }
    return false;
  }

  /** The film is on disk (`rendered`): it goes on the big screen at once, then (public only) to S3. Recovery calls it too. */
  async handOff(job: Job): Promise<void> {
    const id = job.id;
    const held = this.deps.review?.holds(job) ?? false;
    try {
      if (!held || this.deps.review?.onScreen)
        await this.deps.player.add({ id, file: path.join(filmDirOf(this.deps.dirs, id), 'movie.mp4') });
    } catch (err) {
      // The playlist on disk is updated first; mpv catches up when it is back.
      this.deps.log.warn({ event: 'player.add_failed', id, err: errorMessage(err) }, 'player add failed');
    }
    if (held) {
      await this.deps.jobs.update(id, { state: 'review' });
      this.deps.log.info({ event: 'review.waiting', id }, 'review waiting');
    } else if (job.publish === 'public' && this.deps.uploader) {
      await this.deps.jobs.update(id, { state: 'uploading' });
      this.deps.onUploadDue();
    } else {
      if (job.publish === 'public') this.deps.log.warn({ event: 'upload.disabled', id }, 'upload disabled');
      await this.deps.jobs.update(id, { state: 'done', doneAt: new Date().toISOString() });
    }
    // The frames are in the film now; the package can go.
    await rm(workDirOf(this.deps.dirs, id), { recursive: true, force: true });
  }
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
