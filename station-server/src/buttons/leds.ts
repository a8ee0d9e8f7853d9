import { type ChildProcess, spawn } from 'node:child_process';
import type { ButtonAction, StationState } from '@stop-motion/protocol';
import { detectGpiodVersion, type GpiodVersion, type GpioLines, type GpioToolOptions, planLines } from './gpiomon.js';

const running = (c: ChildProcess) => c.pid !== undefined && c.exitCode === null && c.signalCode === null;
/** Resolves when the process is gone; a spawn failure may never emit 'exit'. */
const ended = (c: ChildProcess) =>
  new Promise<void>((r) => {
    c.once('exit', () => r());
    c.once('error', () => r());
  });

export type LedStates = Record<ButtonAction, boolean>;

/** Which buttons do something right now, for the lights in them. Pure. */
export function ledStates(s: Pick<StationState, 'movie' | 'camera' | 'disk'>): LedStates {
  const frames = s.movie.frames.length;
  const canCapture = s.camera.state === 'ok' && !s.disk.full && frames < s.movie.maxFrames;
  return { capture: canCapture, undo: frames > 0, play: frames > 0, finish: frames > 0 };
}

/**
 * `gpioset` holding the LED lines until it is ended, so a change is a new process.
 * v1 needs `--mode=signal` (its default sets and exits, releasing the lines) and
 * `<chip> <offset>=<v>`; v2 holds by default and takes `[--chip <chip>] <line>=<v>`.
 */
export function gpiosetArgs(version: GpiodVersion, lines: GpioLines, on: readonly boolean[]): string[] {
  if (lines.ids.length === 0) throw new Error('gpioset needs at least one line');
  const values = lines.ids.map((id, i) => `${id}=${on[i] ? 1 : 0}`);
  if (version === 1) {
    if (lines.chip === null) throw new Error('libgpiod 1 gpioset needs a chip');
    return ['--mode=signal', lines.chip, ...values];
  }
  return [...(lines.chip === null ? [] : ['--chip', lines.chip]), ...values];
}

/** LED_PINS: lights in the arcade buttons, driven through gpioset. */
export class ButtonLeds {
  private child: ChildProcess | undefined;
  private last = '';
  private version: GpiodVersion = 1;
  private lines: GpioLines = { chip: null, ids: [] };
  private ready = false;
  private stopped = false;
  private released: Promise<void> = Promise.resolve();

  constructor(private readonly options: GpioToolOptions) {}

  async start(): Promise<void> {
    const detected = await detectGpiodVersion(this.options.command ?? 'gpioset');
    if (!detected.ok) {
      this.options.log.warn({ event: 'leds.failed', reason: detected.reason }, 'button lights unavailable');
      return;
    }
    this.version = detected.version;
    const planned = await planLines(this.version, this.options.chip, this.options.pins, this.options.gpiofindCommand);
    if (!planned.ok) {
      this.options.log.warn({ event: 'leds.failed', reason: planned.reason }, 'button lights unavailable');
      return;
    }
    this.lines = planned.lines;
    this.ready = true;
  }

  /** Sets the lights; a no-op when nothing changed. */
  update(states: LedStates): void {
    if (!this.ready || this.stopped) return;
    const args = gpiosetArgs(
      this.version,
      this.lines,
      this.options.pins.map((p) => states[p.action]),
    );
    const key = args.join(' ');
    if (key === this.last) return;
    this.last = key;
    // The old process must let go of the lines before a new one can request them (EBUSY otherwise).
    const previous = this.child;
    this.child = undefined;
    if (previous && running(previous)) {
      this.released = ended(previous);
      previous.kill('SIGTERM');
    }
    void this.released.then(() => {
      if (this.stopped || this.last !== key || this.child) return;
      const child = spawn(this.options.command ?? 'gpioset', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString('utf8')).slice(-300);
      });
      child.once('error', (err) => this.options.log.warn({ event: 'leds.failed', err: err.message }, 'gpioset failed'));
      child.once('exit', (code) => {
        // Ended by us (a newer state, or stop) is normal; anything else is a fault to log.
        if (code !== null && code !== 0) this.options.log.warn({ event: 'leds.failed', code, stderr: stderr.trim() }, 'gpioset failed');
      });
      this.child = child;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (child && running(child)) {
      const exited = ended(child);
      child.kill('SIGTERM');
      await exited;
    }
    await this.released;
  }
}
