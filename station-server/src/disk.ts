import { EventEmitter } from 'node:events';
import { statfs } from 'node:fs/promises';
import type { DiskStatus } from '@stop-motion/protocol';
import type { Logger } from './log.js';

export interface DiskPolicy {
  /** Below this much free space new captures are refused. */
  minFreeBytes: number;
  /** Below this much free space the oldest delivered packages are removed. */
  cleanupFreeBytes: number;
}

/** What to do about free space. Pure: undelivered work is never on the list to delete. */
export function diskDecision(freeBytes: number, p: DiskPolicy): { full: boolean; cleanup: boolean } {
  return { full: freeBytes < p.minFreeBytes, cleanup: freeBytes < p.cleanupFreeBytes };
}

/** Watches free space on the data dir's filesystem; calls `cleanup` when it runs low. */
export class DiskMonitor extends EventEmitter<{ status: [DiskStatus] }> {
  private current: DiskStatus = { freeBytes: 0, totalBytes: 0, full: false };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      dir: string;
      policy: DiskPolicy;
      intervalMs?: number;
      /** Frees space by removing the oldest sent package; false when nothing is left to remove. */
      removeOldestSent: () => Promise<boolean>;
      log: Logger;
      /** Tests pretend the disk is smaller. */
      statfs?: (dir: string) => Promise<{ freeBytes: number; totalBytes: number }>;
    },
  ) {
    super();
  }

  status(): DiskStatus {
    return { ...this.current };
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  private async measure(): Promise<{ freeBytes: number; totalBytes: number }> {
    if (this.options.statfs) return this.options.statfs(this.options.dir);
    const s = await statfs(this.options.dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  }

  async check(): Promise<DiskStatus> {
    try {
      let m = await this.measure();
      let decision = diskDecision(m.freeBytes, this.options.policy);
      for (let i = 0; decision.cleanup && i < 1000; i++) {
        if (!(await this.options.removeOldestSent())) break;
        m = await this.measure();
        decision = diskDecision(m.freeBytes, this.options.policy);
      }
      const next: DiskStatus = { freeBytes: m.freeBytes, totalBytes: m.totalBytes, full: decision.full };
      const changed = next.full !== this.current.full || Math.abs(next.freeBytes - this.current.freeBytes) > 16 * 1024 * 1024;
      if (next.full && !this.current.full)
        this.options.log.error({ event: 'disk.full', freeBytes: next.freeBytes }, 'disk nearly full: captures refused');
      this.current = next;
      if (changed) this.emit('status', this.status());
    } catch (err) {
      this.options.log.warn({ event: 'disk.check_failed', err: (err as Error).message }, 'cannot measure free space');
    }
    return this.status();
  }
}
