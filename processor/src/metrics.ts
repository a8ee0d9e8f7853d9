import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createMetricsRegistry } from '@stop-motion/kit';
import { Counter, Gauge, Histogram } from 'prom-client';
import { AREA_MARKER } from './intake.js';
import type { Job, JobStore } from './jobs.js';
import type { Player } from './player.js';

/** Render durations: a few seconds for a short film on a fast box, minutes for a long one on a Pi. */
const RENDER_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** An inbox count never walks more than this many entries (a flooded inbox is still cheap to scrape). */
const INBOX_SCAN_LIMIT = 10_000;

/**
 * The processor's Prometheus metrics (names in the README). Counters follow the job
 * store's durable changes, so a metric moves exactly when the job file says it happened,
 * and the pipeline carries no metric code.
 */
export class ProcessorMetrics {
  readonly registry = createMetricsRegistry();
  private readonly renders: Counter<'result'>;
  private readonly renderSeconds: Histogram;
  private readonly uploads: Counter<'result'>;

  constructor(sources: { jobs: JobStore; player: Player; inboxDir: string }) {
    const registers = [this.registry];
    this.renders = new Counter({
      name: 'stopmotion_processor_renders_total',
      help: 'Renders finished, by result: done, failed (one failed attempt), quarantined.',
      labelNames: ['result'],
      registers,
    });
    this.renderSeconds = new Histogram({
      name: 'stopmotion_processor_render_duration_seconds',
      help: 'Wall-clock time of a successful render, title card included.',
      buckets: RENDER_BUCKETS,
      registers,
    });
    this.uploads = new Counter({
      name: 'stopmotion_processor_uploads_total',
      help: 'Film uploads to S3, by result: done, failed (one failed attempt), refused.',
      labelNames: ['result'],
      registers,
    });
    for (const r of ['done', 'failed', 'quarantined']) this.renders.inc({ result: r }, 0);
    for (const r of ['done', 'failed', 'refused']) this.uploads.inc({ result: r }, 0);
    const jobs = sources.jobs;
    new Gauge({
      name: 'stopmotion_processor_queue_length',
      help: 'Films waiting, by queue: inbox (delivered, not taken in), render, upload, review, quarantine.',
      labelNames: ['queue'],
      registers,
      async collect() {
        const all = jobs.all();
        const count = (states: readonly Job['state'][]) => all.filter((j) => states.includes(j.state)).length;
        this.set({ queue: 'inbox' }, await countInbox(sources.inboxDir));
        this.set({ queue: 'render' }, count(['received', 'rendering']));
        this.set({ queue: 'upload' }, count(['uploading']));
        this.set({ queue: 'review' }, count(['review']));
        this.set({ queue: 'quarantine' }, count(['quarantined']));
      },
    });
    let seenRestarts = 0;
    new Counter({
      name: 'stopmotion_processor_player_restarts_total',
      help: 'Times the big screen player (mpv) was restarted since the processor started.',
      registers,
      collect() {
        const now = sources.player.status().restarts;
        if (now > seenRestarts) this.inc(now - seenRestarts);
        seenRestarts = Math.max(seenRestarts, now);
      },
    });
    jobs.onChange = (before, after) => this.onJob(before, after);
  }

  private onJob(before: Job | undefined, after: Job): void {
    if (!before) return;
    if (before.state === 'rendering' && after.state === 'rendered') {
      this.renders.inc({ result: 'done' });
      if (after.renderMs !== null) this.renderSeconds.observe(after.renderMs / 1000);
    }
    if (after.renderFailures > before.renderFailures) this.renders.inc({ result: 'failed' });
    if (after.state === 'quarantined' && before.state !== 'quarantined') this.renders.inc({ result: 'quarantined' });
    if (after.uploadedAt !== null && before.uploadedAt === null) this.uploads.inc({ result: 'done' });
    if (after.uploadAttempts > before.uploadAttempts) this.uploads.inc({ result: 'failed' });
    if (before.state === 'uploading' && after.state === 'failed') this.uploads.inc({ result: 'refused' });
  }
}

/** Packages sitting in the inbox (the flat inbox and each station's area). */
async function countInbox(inbox: string): Promise<number> {
  const list = (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  let n = 0;
  for (const e of (await list(inbox)).slice(0, INBOX_SCAN_LIMIT)) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const inner = await list(path.join(inbox, e.name));
    // A station's area holds packages; anything else at the top is one package.
    if (inner.some((x) => x.name === AREA_MARKER)) n += inner.filter((x) => x.isDirectory() && !x.name.startsWith('.')).length;
    else n += 1;
  }
  return n;
}
