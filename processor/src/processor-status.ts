import { statfs } from 'node:fs/promises';
import type { PlayerStatus, ProcessorStatus, RetentionStatus, StatusJob } from '@stop-motion/protocol';
import type { Job } from './jobs.js';
import type { StrayQuarantine } from './quarantine.js';

/** What modules beside the pipeline add to the status (reconciliation, S3 write mode). */
export type StatusExtras = Pick<ProcessorStatus, 'reconcile' | 's3ConditionalWrites'>;

export interface StatusSources {
  jobs: Job[];
  player: PlayerStatus;
  dataDir: string;
  strays: readonly StrayQuarantine[];
  progressOf: (id: string) => number | undefined;
  retention: RetentionStatus | null;
  extra: StatusExtras;
}

/** What `/status` and the operator page show (`processorStatusSchema`): every job, the queues, the screen, the disk. */
export async function buildStatus(s: StatusSources): Promise<ProcessorStatus> {
  const { jobs, player } = s;
  let disk: { freeBytes: number; totalBytes: number } | null = null;
  try {
    const st = await statfs(s.dataDir);
    disk = { freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize };
  } catch {
    disk = null;
  }
  const view = (j: Job): StatusJob => ({
    id: j.id,
    state: j.state,
    publish: j.publish,
    progress: j.state === 'rendering' ? (s.progressOf(j.id) ?? 0) : ['rendered', 'uploading', 'done'].includes(j.state) ? 1 : 0,
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
      ...s.strays.map((st) => ({ id: null, name: st.name, reason: st.reason, at: st.at })),
    ],
    playlist: player.playlist,
    nowPlaying: player.nowPlaying,
    player,
    disk,
    retention: s.retention,
    removed: jobs.filter((j) => j.state === 'removed').map((j) => ({ id: j.id, at: j.updatedAt })),
    ...s.extra,
  };
}
