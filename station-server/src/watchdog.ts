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
  /** Wall-clock time of the last heartbeat, for reports; null until the UI first beats. */
  lastBeatWallAt: number | null = null;
  restarts = 0;

  constructor(
    private readonly options: { seconds: number; command: string | undefined; minIntervalSeconds: number; log: Logger; now?: () => number },
  ) {
    const now = this.now();
    // Counted from start: a UI that never comes up is restarted too.
    this.state = { lastBeatAt: now, lastRestartAt: Number.NEGATIVE_INFINITY };
  }

  /** Seconds since the UI last beat (or since start, when it never has). */
  secondsSinceBeat(): number {
    return Math.max(0, (this.now() - this.state.lastBeatAt) / 1000);
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  heartbeat(): void {
    this.state.lastBeatAt = this.now();
    this.lastBeatWallAt = Date.now();
  }

  async start(): Promise<void> {
    if (this.options.seconds <= 0 || !this.options.command) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  tick(): void {
    const now = this.now();
    if (!shouldRestartUi(this.state, now, this.options.seconds * 1000, this.options.minIntervalSeconds * 1000)) return;
    this.restart('UI heartbeat stopped; restarting the kiosk');
  }

  /** Restarts the kiosk now (an operator's request); false when no UI_RESTART_COMMAND is set. */
  restartNow(): boolean {
    if (!this.options.command) return false;
    this.restart('operator asked to restart the kiosk');
    return true;
  }

  private restart(why: string): void {
    const now = this.now();
    const argv = parseCommandLine(this.options.command ?? '');
    const [command, ...args] = argv ?? [];
    if (!command) return;
    this.state.lastRestartAt = now;
    this.state.lastBeatAt = now;
    this.restarts++;
    this.options.log.warn({ event: 'ui.restart', command, args }, why);
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', (err) => this.options.log.error({ event: 'ui.restart_failed', err: err.message }, 'UI restart command failed'));
    child.once('exit', (code) => {
      if (code !== 0) this.options.log.error({ event: 'ui.restart_failed', code }, 'UI restart command failed');
    });
    child.unref();
  }
}
