import { spawn } from 'node:child_process';
import { parseCommandLine } from './config.js';
import type { Logger } from './log.js';

export interface WatchdogState {
  lastBeatAt: number;
  lastRestartAt: number;
}

/**
 * Whether the kiosk browser should be restarted now. Pure: the UI missed its
 * heartbeat for `timeoutMs`, and the last restart is at least `minIntervalMs` ago
 * (a UI that cannot come up must not be restarted in a tight loop).
 */
export function shouldRestartUi(s: WatchdogState, now: number, timeoutMs: number, minIntervalMs: number): boolean {
  if (timeoutMs <= 0) return false;
  return now - s.lastBeatAt >= timeoutMs && now - s.lastRestartAt >= minIntervalMs;
}

/** Restarts the kiosk UI when its heartbeat stops (UI_WATCHDOG_SECONDS, UI_RESTART_COMMAND). */
export class UiWatchdog {
  private state: WatchdogState;
  private timer: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(
    private readonly o: { seconds: number; command: string | undefined; minIntervalSeconds: number; log: Logger; now?: () => number },
  ) {
    const now = this.now();
    // Counted from start: a UI that never comes up is restarted too.
    this.state = { lastBeatAt: now, lastRestartAt: Number.NEGATIVE_INFINITY };
  }

  private now(): number {
    return this.o.now ? this.o.now() : performance.now();
  }

  heartbeat(): void {
    this.state.lastBeatAt = this.now();
  }

  async start(): Promise<void> {
    if (this.o.seconds <= 0 || !this.o.command) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  tick(): void {
    const now = this.now();
    if (!shouldRestartUi(this.state, now, this.o.seconds * 1000, this.o.minIntervalSeconds * 1000)) return;
    const argv = parseCommandLine(this.o.command ?? '');
    const [command, ...args] = argv ?? [];
    if (!command) return;
    this.state.lastRestartAt = now;
    this.state.lastBeatAt = now;
    this.restarts++;
    this.o.log.warn({ event: 'ui.restart', command, args }, 'UI heartbeat stopped; restarting the kiosk');
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', (err) => this.o.log.error({ event: 'ui.restart_failed', err: err.message }, 'UI restart command failed'));
    child.once('exit', (code) => {
      if (code !== 0) this.o.log.error({ event: 'ui.restart_failed', code }, 'UI restart command failed');
    });
    child.unref();
  }
}
