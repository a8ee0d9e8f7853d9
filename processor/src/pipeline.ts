import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { exists, type LoopBeats } from '@stop-motion/kit';
import { isValidId, type ProcessorStatus } from '@stop-motion/protocol';
import type { ProcessorConfig } from './config.js';
import { filmDirOf, type PipelineDirs, pipelineDirs } from './dirs.js';

import { Ingest } from './ingest.js';
import type { Job, JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { Notices } from './notices.js';
import type { Player } from './player.js';
import { buildStatus, type StatusExtras } from './processor-status.js';
import { Quarantine } from './quarantine.js';
import type { RemovalDeps } from './reconcile.js';
import { recover } from './recovery.js';
import { RenderWorker } from './render-worker.js';
import type { Retention } from './retention.js';
import type { ReviewQueue } from './review.js';
import { UploadWorker } from './upload-worker.js';
import type { WriteOnceUploader } from './write-once.js';

export { TOOL_PID_FILE } from './dirs.js';
export { filmMeta } from './film-meta.js';
export type { StrayQuarantine } from './quarantine.js';

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
  /** MODERATION=pre: public films wait here before S3 (review.ts). */
  review?: ReviewQueue | null;
  /** The systemd watchdog is fed only while the render loop beats. */
  beats?: LoopBeats | null;
}

/**
 * Inbox → validated package → render → big screen → S3, composed from its rooms:
 * recovery (start), ingest (the inbox door), the render worker and the upload worker.
 * Every step is recorded in the job file before the next begins, so a restart picks up
 * where it stopped. This class only wires them and starts and stops them in order.
 */
export class Pipeline {
  readonly dirs: PipelineDirs;
  /** More for the status page (reconciliation, S3 write mode), from modules beside the pipeline. */
  extraStatus: (() => StatusExtras) | null = null;
  private readonly quarantine: Quarantine;
  private readonly ingest: Ingest;
  private readonly render: RenderWorker;
  private readonly upload: UploadWorker;

  constructor(private readonly deps: PipelineDeps) {
    this.dirs = pipelineDirs(deps.config);
    const base = { log: deps.log, jobs: deps.jobs, dirs: this.dirs };
    this.quarantine = new Quarantine(base);
    this.upload = new UploadWorker({
      ...base,
      uploader: deps.uploader,
      notices: deps.notices,
      retryCapMs: deps.uploadRetryCapMs,
      removal: this.removalDeps(),
    });
    this.render = new RenderWorker({
      ...base,
      config: deps.config,
      player: deps.player,
      uploader: deps.uploader,
      quarantine: this.quarantine,
      removal: this.removalDeps(),
      onUploadDue: () => this.upload.wake(),
      review: deps.review ?? null,
      beats: deps.beats ?? null,
    });
    this.ingest = new Ingest({ ...base, config: deps.config, quarantine: this.quarantine, onReceived: () => this.render.wake() });
  }

  async start(): Promise<void> {
    for (const dir of Object.values(this.dirs)) await mkdir(dir, { recursive: true });
    await recover({ jobs: this.deps.jobs, dirs: this.dirs, log: this.deps.log, handOff: (job) => this.render.handOff(job) });
    this.render.start();
    this.upload.start();
    await this.ingest.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.ingest.stop(), this.render.stop(), this.upload.stop()]);
  }

  job(id: string): Job | undefined {
    return this.deps.jobs.get(id);
  }

  /** A local film that must stay: on the big screen's playlist, or not yet through the pipeline (upload included). */
  isProtected(id: string): boolean {
    const state = this.deps.jobs.get(id)?.state;
    return this.deps.player.status().playlist.includes(id) || (state !== undefined && state !== 'done' && state !== 'failed');
  }

  filmFile(id: string): string {
    return path.join(filmDirOf(this.dirs, id), 'movie.mp4');
  }

  /** Looks at the inbox soon (coalesced). */
  queueScan(): void {
    this.ingest.queueScan();
  }

  /** Looks at the inbox now; resolves when that scan is done. */
  scan(): Promise<void> {
    return this.ingest.scan();
  }

  removalDeps(): RemovalDeps {
    return { jobs: this.deps.jobs, player: this.deps.player, dirs: this.dirs, log: this.deps.log };
  }

  // ---- moderation ------------------------------------------------------------------

  /** Takes a film off the big screen (moderation or an operator). */
  async takeDown(id: string, why: string): Promise<void> {
    if (!isValidId(id)) return;
    await this.deps.player.remove(id);
    this.deps.log.info({ event: 'film.taken_down', id, why }, 'film taken down');
  }

  async showAgain(id: string): Promise<void> {
    if (!isValidId(id)) return;
    const job = this.deps.jobs.get(id);
    if (!job || (job.state !== 'done' && job.state !== 'uploading')) return;
    if (!(await exists(this.filmFile(id)))) {
      // Cleaned by retention while off the screen: the website still has it.
      this.deps.log.warn({ event: 'film.local_copy_gone', id }, 'film local copy gone');
      return;
    }
    await this.deps.player.restore({ id, file: this.filmFile(id) });
  }

  async status(): Promise<ProcessorStatus> {
    return buildStatus({
      jobs: this.deps.jobs.all(),
      player: this.deps.player.status(),
      dataDir: this.deps.config.dataDir,
      strays: this.quarantine.strays,
      progressOf: (id) => this.render.progressOf(id),
      retention: this.deps.retention?.status() ?? null,
      extra: this.extraStatus?.() ?? {},
    });
  }
}
