import { backoffMs } from '@stop-motion/kit';
import type { Refusal } from '@stop-motion/protocol';
import { errorMessage } from './files.js';
import type { JobStore } from './jobs.js';
import type { Logger } from './log.js';

/** The job reasons ReviewQueue records for a refused film. */
export const REFUSED_REASONS: Readonly<Record<string, Refusal['decision']>> = {
  'made private in review': 'private',
  'taken down in review': 'takedown',
};

/** As long as the gallery would say "waiting for review" for an id (its 30 days). */
const NOTICE_DAYS = 30;

/**
 * Tells the gallery that a film refused in review (made private or taken down) will
 * never come: a `REFUSED` marker in the bucket, the only object such a film ever has
 * there. Without it the family's page said "waiting for review" for 30 days. The job
 * record is the durable part: every refused job of the last 30 days is told again at
 * start (a PUT of the same small object), and a failed PUT is retried with backoff, so
 * S3 being away at the moment of the decision loses nothing.
 */
export class RefusalNotices {
  private readonly waiting = new Map<string, Refusal>();
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      jobs: JobStore;
      put: (refusal: Refusal) => Promise<void>;
      log: Logger;
      retry?: { minMs: number; maxMs: number };
      now?: () => number;
    },
  ) {}

  /** Every refusal of the last 30 days, again: the job file survived what the last run did not finish. */
  start(): void {
    const now = this.options.now?.() ?? Date.now();
    for (const job of this.options.jobs.all()) {
      const decision = job.state === 'done' && job.reason ? REFUSED_REASONS[job.reason] : undefined;
      const at = job.doneAt ?? job.updatedAt;
      if (!decision || !at || now - Date.parse(at) > NOTICE_DAYS * 86_400_000) continue;
      this.waiting.set(job.id, { id: job.id, decision, at: new Date(Date.parse(at)).toISOString() });
    }
    this.kick();
  }

  /** A decision just recorded in the job file. */
  refused(id: string, decision: Refusal['decision']): void {
    this.waiting.set(id, { id, decision, at: new Date(this.options.now?.() ?? Date.now()).toISOString() });
    this.attempt = 0;
    this.kick();
  }

  pending(): number {
    return this.waiting.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private kick(): void {
    if (this.stopped || this.running || this.waiting.size === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.sendAll().finally(() => {
      this.running = null;
      if (this.stopped || this.waiting.size === 0) return;
      const retry = this.options.retry ?? { minMs: 2000, maxMs: 300_000 };
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.kick();
        },
        backoffMs(this.attempt++, { ...retry, jitter: 0.2 }),
      );
      this.timer.unref();
    });
  }

  private async sendAll(): Promise<void> {
    for (const refusal of [...this.waiting.values()]) {
      if (this.stopped) return;
      try {
        await this.options.put(refusal);
        if (this.waiting.get(refusal.id) === refusal) this.waiting.delete(refusal.id);
        this.options.log.info(
          { event: 'review.refusal_sent', id: refusal.id, decision: refusal.decision },
          'gallery told the film will not come',
        );
      } catch (err) {
        this.options.log.warn(
          { event: 'review.refusal_failed', id: refusal.id, decision: refusal.decision, err: errorMessage(err) },
          'could not tell the gallery yet; will retry',
        );
        return;
      }
    }
    this.attempt = 0;
  }
}
