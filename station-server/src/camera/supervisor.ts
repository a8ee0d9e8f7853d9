import { EventEmitter } from 'node:events';
import { backoffMs } from '@stop-motion/kit';
import type { CameraStatus } from '@stop-motion/protocol';
import type { Logger } from '../log.js';
import type { Camera } from './camera.js';

export interface Frame {
  data: Buffer;
  /** performance.now() when the frame arrived. */
  at: number;
  seq: number;
}

interface Waiter {
  after: number;
  resolve(frame: Frame): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface SupervisorOptions {
  stallMs: number;
  width: number;
  height: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Keeps a camera running: restarts it with backoff when it exits or stops sending
 * frames, and reports its state. Holds the newest frame for the live view and hands
 * out "the first frame after time T" for captures.
 */
export class CameraSupervisor extends EventEmitter<{ frame: [Frame]; status: [CameraStatus] }> {
  private status: CameraStatus;
  private latestFrame: Frame | undefined;
  private seq = 0;
  private waiters = new Set<Waiter>();
  private stallTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private running = false;
  private healthySince = 0;
  /** Bumped on every (re)start so late callbacks of an old run are ignored. */
  private generation = 0;

  constructor(
    private readonly camera: Camera,
    private readonly opts: SupervisorOptions,
    private readonly log: Logger,
  ) {
    super();
    this.status = { state: 'off', kind: camera.kind, restarts: 0, width: opts.width, height: opts.height };
  }

  get state(): CameraStatus {
    return { ...this.status };
  }

  get latest(): Frame | undefined {
    return this.latestFrame;
  }

  async start(): Promise<void> {
    this.running = true;
    this.setStatus({ state: 'starting', message: undefined });
    await this.launch();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    clearTimeout(this.stallTimer);
    clearTimeout(this.restartTimer);
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('camera stopped'));
    }
    this.waiters.clear();
    await this.camera.stop();
    this.setStatus({ state: 'off', message: undefined });
  }

  /** The first complete frame that arrives at or after `after` (performance.now() time). */
  nextFrame(after: number, timeoutMs: number): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        after,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`no camera frame within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private async launch(): Promise<void> {
    const generation = ++this.generation;
    this.armStallTimer(generation);
    try {
      await this.camera.start({
        onFrame: (data) => {
          if (generation === this.generation) this.onFrame(data, generation);
        },
        onExit: (reason) => {
          if (generation === this.generation) this.scheduleRestart(reason);
        },
      });
    } catch (err) {
      if (generation === this.generation) this.scheduleRestart(`camera failed to start: ${(err as Error).message}`);
    }
  }

  private onFrame(data: Buffer, generation: number): void {
    const frame: Frame = { data, at: performance.now(), seq: ++this.seq };
    this.latestFrame = frame;
    if (this.status.state !== 'ok') {
      this.healthySince = frame.at;
      this.setStatus({ state: 'ok', message: undefined, modes: this.camera.modes?.() });
    } else if (this.failures > 0 && frame.at - this.healthySince > 10_000) {
      this.failures = 0;
    }
    this.armStallTimer(generation);
    for (const w of this.waiters) {
      if (frame.at >= w.after) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(frame);
      }
    }
    this.emit('frame', frame);
  }

  private armStallTimer(generation: number): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      if (generation !== this.generation || !this.running) return;
      this.scheduleRestart(`no frame for ${this.opts.stallMs} ms`);
    }, this.opts.stallMs);
    this.stallTimer.unref();
  }

  private scheduleRestart(reason: string): void {
    if (!this.running) return;
    this.generation++;
    clearTimeout(this.stallTimer);
    const delay = backoffMs(this.failures, { minMs: this.opts.minBackoffMs ?? 500, maxMs: this.opts.maxBackoffMs ?? 10_000 });
    this.failures++;
    this.log.warn({ event: 'camera.restart', reason, delayMs: delay, restarts: this.status.restarts + 1 }, 'camera restarting');
    this.setStatus({ state: this.failures >= 5 ? 'failed' : 'restarting', message: reason, restarts: this.status.restarts + 1 });
    void this.camera
      .stop()
      .catch(() => undefined)
      .then(() => {
        if (!this.running) return;
        clearTimeout(this.restartTimer);
        this.restartTimer = setTimeout(() => {
          if (this.running) void this.launch();
        }, delay);
      });
  }

  private setStatus(change: Partial<CameraStatus>): void {
    const next: CameraStatus = { ...this.status, ...change };
    if (next.message === undefined) delete next.message;
    if (next.modes === undefined) delete next.modes;
    const same =
      next.state === this.status.state &&
      next.message === this.status.message &&
      next.restarts === this.status.restarts &&
      next.modes === this.status.modes;
    this.status = next;
    if (!same) this.emit('status', this.state);
  }
}
