import path from 'node:path';
import { movieKeys } from '@stop-motion/protocol';
import { filmDirOf, type PipelineDirs } from './dirs.js';
import { errorMessage } from './files.js';
import { filmMeta } from './film-meta.js';
import type { Job, JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { Notices } from './notices.js';
import { type RemovalDeps, removeFilm } from './reconcile.js';
import { backoffMs, IMMUTABLE_CACHE } from './upload.js';
import { WorkerLoop } from './worker-loop.js';
import { FilmConflictError, FilmRemovedError, type WriteOnceUploader } from './write-once.js';

const IDLE_MS = 1000;
const MIN_WAIT_MS = 50;

export interface UploadWorkerDeps {
  log: Logger;
  jobs: JobStore;
  dirs: PipelineDirs;
  uploader: WriteOnceUploader | null;
  notices: Notices | null;
  retryCapMs: number;
  removal: RemovalDeps;
}

/**
 * Public films to S3, one at a time: video, poster, preview, then meta.json last (the
 * gallery's sign that the film is complete), each step recorded so a restart resumes
 * after the last file that made it. A failure waits with backoff; a tombstone or a
 * conflicting film ends the job.
 */
export class UploadWorker extends WorkerLoop {
  constructor(private readonly deps: UploadWorkerDeps) {
    super();
  }

  protected async step(): Promise<number | undefined> {
    const now = Date.now();
    const waiting = this.deps.jobs.all().filter((j) => j.state === 'uploading');
    const due = waiting.find((j) => !j.nextUploadAt || Date.parse(j.nextUploadAt) <= now);
    if (!due || !this.deps.uploader) {
      const next = waiting.map((j) => (j.nextUploadAt ? Date.parse(j.nextUploadAt) : now)).sort((a, b) => a - b)[0];
      return next === undefined ? IDLE_MS : Math.max(MIN_WAIT_MS, Math.min(IDLE_MS, next - now));
    }
    await this.uploadJob(due, this.deps.uploader);
    return undefined;
  }

  private async uploadJob(job: Job, uploader: WriteOnceUploader): Promise<void> {
    const id = job.id;
    const keys = movieKeys(id);
    const dir = filmDirOf(this.deps.dirs, id);
    // Described before anything is uploaded: a film that cannot be described is not half published.
    const described = filmMeta(job);
    if (!described.ok) {
      await this.deps.jobs.update(id, { state: 'failed', reason: described.reason, lastUploadError: described.reason, nextUploadAt: null });
      this.deps.log.error({ event: 'upload.refused', id, reason: described.reason }, 'upload refused');
      return;
    }
    this.deps.log.info({ event: 'upload.started', id, attempt: job.uploadAttempts + 1 }, 'upload started');
    try {
      let j = job;
      await uploader.checkBeforeUpload(j);
      if (!j.uploaded.video) {
        await uploader.putFile(keys.video, path.join(dir, 'movie.mp4'), 'video/mp4', IMMUTABLE_CACHE);
        j = await this.deps.jobs.update(id, { uploaded: { ...j.uploaded, video: true } });
      }
      if (!j.uploaded.poster) {
        await uploader.putFile(keys.poster, path.join(dir, 'poster.jpg'), 'image/jpeg', IMMUTABLE_CACHE);
        j = await this.deps.jobs.update(id, { uploaded: { ...j.uploaded, poster: true } });
      }
      if (j.hasPreview && !j.uploaded.preview) {
        await uploader.putFile(keys.preview, path.join(dir, 'preview.mp4'), 'video/mp4', IMMUTABLE_CACHE);
        j = await this.deps.jobs.update(id, { uploaded: { ...j.uploaded, preview: true } });
      }
      const outcome = await uploader.putMeta(described.meta);
      j = await this.deps.jobs.update(id, { uploaded: { ...j.uploaded, meta: true }, uploadedAt: new Date().toISOString() });
      this.deps.log.info({ event: 'upload.done', id, meta: outcome, attempts: j.uploadAttempts + 1 }, 'upload done');
      if (this.deps.notices) {
        await this.deps.notices
          .publish({ type: 'film.added', id, at: new Date().toISOString() })
          .catch((err: unknown) =>
            this.deps.log.warn({ event: 'redis.publish_failed', id, err: errorMessage(err) }, 'redis publish failed'),
          );
      }
      await this.deps.jobs.update(id, { state: 'done', doneAt: new Date().toISOString(), lastUploadError: null, nextUploadAt: null });
    } catch (err) {
      if (!this.running) return;
      if (err instanceof FilmRemovedError) {
        await removeFilm(this.deps.removal, id, 'tombstone found at upload');
        return;
      }
      if (err instanceof FilmConflictError) {
        await this.deps.jobs.update(id, { state: 'failed', reason: err.message, lastUploadError: err.message, nextUploadAt: null });
        this.deps.log.error({ event: 'upload.refused', id, key: err.key, reason: err.message }, 'upload refused');
        return;
      }
      const attempts = job.uploadAttempts + 1;
      const delay = backoffMs(attempts, this.deps.retryCapMs);
      const current = this.deps.jobs.get(id) ?? job;
      await this.deps.jobs.update(id, {
        uploaded: current.uploaded,
        uploadAttempts: attempts,
        lastUploadError: errorMessage(err).slice(0, 300),
        nextUploadAt: new Date(Date.now() + delay).toISOString(),
      });
      this.deps.log.warn({ event: 'upload.retry', id, attempts, retryInMs: delay, err: errorMessage(err) }, 'upload retry');
    }
  }
}
