import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { backoffMs, exists, fsyncDir } from '@stop-motion/kit';
import { type DeliveryStatus, DONE_FILE, isValidId } from '@stop-motion/protocol';
import type { StationConfig } from '../config.js';
import type { Logger } from '../log.js';
import { rsyncDoneArgs, rsyncFilesArgs } from './rsync-args.js';

/** Delay after `failures` failed attempts in a row: doubling from min, capped at max. Pure. */
export function retryDelayMs(failures: number, minMs: number, maxMs: number): number {
  return failures <= 0 ? 0 : backoffMs(failures - 1, { minMs, maxMs });
}

interface RunResult {
  ok: boolean;
  message: string;
}

/**
 * Drains the outbox into DELIVERY_TARGET with rsync (files, then DONE), retrying
 * with capped exponential backoff while the processor is away. A package leaves the
 * outbox only after both steps succeeded; then it is kept in sent/ for a while.
 */
export class Delivery extends EventEmitter<{ status: [DeliveryStatus]; delivered: [string]; removed: [string] }> {
  private current: DeliveryStatus;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;
  private again = false;
  private abort: AbortController | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      config: StationConfig['delivery'];
      outboxDir: string;
      sentDir: string;
      log: Logger;
      /** rsync program; tests may point elsewhere. */
      command?: string;
    },
  ) {
    super();
    this.current = {
      target: options.config.target ? redactTarget(options.config.target) : null,
      pending: 0,
      sent: 0,
      lastSuccessAt: null,
      lastError: null,
      lastErrorAt: null,
      nextAttemptAt: null,
    };
  }

  status(): DeliveryStatus {
    return { ...this.current };
  }

  async start(): Promise<void> {
    this.running = true;
    await this.refreshCounts();
    await this.pruneSent();
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.abort?.abort();
    await this.loop;
  }

  /** Try now (a package was just finished). */
  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.busy = true;
    this.loop = this.drain().finally(() => {
      this.busy = false;
      if (this.again && this.running) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pendingIds(): Promise<string[]> {
    const ids = (await readdir(this.options.outboxDir).catch(() => [] as string[])).filter(isValidId).sort();
    const ready: string[] = [];
    for (const id of ids) {
      if (await exists(path.join(this.options.outboxDir, id, DONE_FILE))) ready.push(id);
    }
    return ready;
  }

  private async refreshCounts(): Promise<void> {
    const pending = (await this.pendingIds()).length;
    const sent = (await readdir(this.options.sentDir).catch(() => [] as string[])).filter(isValidId).length;
    this.update({ pending, sent });
  }

  private async drain(): Promise<void> {
    const target = this.options.config.target;
    await this.refreshCounts();
    if (!target) return;
    for (;;) {
      if (!this.running) return;
      const ids = await this.pendingIds();
      this.update({ pending: ids.length });
      const id = ids[0];
      if (!id) {
        this.failures = 0;
        this.update({ nextAttemptAt: null });
        return;
      }
      const result = await this.deliver(id, target);
      if (!this.running) return;
      if (result.ok) {
        this.failures = 0;
        await this.moveToSent(id);
        this.options.log.info({ event: 'delivery.sent', movieId: id }, 'package delivered');
        this.update({ lastSuccessAt: new Date().toISOString(), lastError: null, nextAttemptAt: null });
        await this.refreshCounts();
        this.emit('delivered', id);
      } else {
        this.failures++;
        const delay = retryDelayMs(this.failures, this.options.config.retryMinMs, this.options.config.retryMaxMs);
        const next = new Date(Date.now() + delay).toISOString();
        this.options.log.warn(
          { event: 'delivery.failed', movieId: id, reason: result.message, retryInMs: delay },
          'delivery failed; will retry',
        );
        this.update({ lastError: result.message, lastErrorAt: new Date().toISOString(), nextAttemptAt: next });
        this.timer = setTimeout(() => this.kick(), delay);
        return;
      }
    }
  }

  private async deliver(id: string, target: string): Promise<RunResult> {
    const opts = {
      target,
      movieId: id,
      source: path.join(this.options.outboxDir, id),
      timeoutSeconds: this.options.config.timeoutSeconds,
      passwordFile: this.options.config.rsyncPasswordFile,
      sshKey: this.options.config.sshKey,
    };
    const files = await this.run(rsyncFilesArgs(opts));
    if (!files.ok) return files;
    return this.run(rsyncDoneArgs(opts));
  }

  private run(args: string[]): Promise<RunResult> {
    const env = { ...process.env };
    delete env.RSYNC_PASSWORD;
    if (this.options.config.rsyncPassword) env.RSYNC_PASSWORD = this.options.config.rsyncPassword;
    const abort = new AbortController();
    this.abort = abort;
    return new Promise((resolve) => {
      const child = spawn(this.options.command ?? 'rsync', args, { stdio: ['ignore', 'ignore', 'pipe'], env, signal: abort.signal });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString('utf8')).slice(-2000);
      });
      const killTimer = setTimeout(() => child.kill('SIGKILL'), (this.options.config.timeoutSeconds + 30) * 1000);
      let done = false;
      const finish = (r: RunResult) => {
        if (done) return;
        done = true;
        clearTimeout(killTimer);
        resolve(r);
      };
      child.once('error', (err) => finish({ ok: false, message: `rsync: ${err.message}` }));
      child.once('exit', (code, signal) => {
        if (code === 0) finish({ ok: true, message: '' });
        else {
          const tail = stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 400);
          finish({ ok: false, message: `rsync ${signal ?? `exit ${code}`}${tail ? `: ${tail}` : ''}` });
        }
      });
    });
  }

  private async moveToSent(id: string): Promise<void> {
    const dest = path.join(this.options.sentDir, id);
    await rm(dest, { recursive: true, force: true });
    await rename(path.join(this.options.outboxDir, id), dest);
    // The directory's time marks when it was sent, for retention.
    const now = new Date();
    await utimes(dest, now, now);
    await fsyncDir(this.options.sentDir);
    await fsyncDir(this.options.outboxDir);
  }

  /** Sent packages, oldest first by the time they were delivered. */
  async sentByAge(): Promise<Array<{ id: string; sentAt: number }>> {
    const out: Array<{ id: string; sentAt: number }> = [];
    for (const id of (await readdir(this.options.sentDir).catch(() => [] as string[])).filter(isValidId)) {
      const s = await stat(path.join(this.options.sentDir, id)).catch(() => null);
      if (s) out.push({ id, sentAt: s.mtimeMs });
    }
    return out.sort((a, b) => a.sentAt - b.sentAt);
  }

  async removeSent(id: string): Promise<void> {
    await rm(path.join(this.options.sentDir, id), { recursive: true, force: true });
    this.emit('removed', id);
  }

  /** Drops sent packages older than SENT_RETENTION_DAYS. */
  async pruneSent(now = Date.now()): Promise<number> {
    const cutoff = now - this.options.config.sentRetentionDays * 24 * 3600 * 1000;
    let removed = 0;
    for (const p of await this.sentByAge()) {
      if (p.sentAt >= cutoff) break;
      await this.removeSent(p.id);
      removed++;
    }
    if (removed > 0) {
      this.options.log.info({ event: 'delivery.pruned', removed }, 'removed old sent packages');
      await this.refreshCounts();
    }
    return removed;
  }

  private update(change: Partial<DeliveryStatus>): void {
    const next = { ...this.current, ...change };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.emit('status', this.status());
  }
}

/** The target as shown to operators: never a password embedded in a URL. */
export function redactTarget(target: string): string {
  return target.replace(/^(rsync:\/\/[^:@/]+):[^@/]*@/i, '$1:***@');
}
