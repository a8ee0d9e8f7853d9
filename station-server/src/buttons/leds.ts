import { type ChildProcess, spawn } from 'node:child_process';
import type { ButtonAction, StationState } from '@stop-motion/protocol';
import type { ButtonPin } from '../config.js';
import type { Logger } from '../log.js';
import { resolveLines } from './gpiomon.js';

export type LedStates = Record<ButtonAction, boolean>;

/** Which buttons do something right now, for the lights in them. Pure. */
export function ledStates(s: Pick<StationState, 'movie' | 'camera' | 'disk'>): LedStates {
  const frames = s.movie.frames.length;
  const canCapture = s.camera.state === 'ok' && !s.disk.full && frames < s.movie.maxFrames;
  return { capture: canCapture, undo: frames > 0, play: frames > 0, finish: frames > 0 };
}

/**
 * libgpiod v1 `gpioset` holding the LED lines: `--mode=signal` keeps the values
 * until the process is ended, so a change is a new process.
 */
export function gpiosetArgs(chip: string, lines: ReadonlyArray<{ offset: number; on: boolean }>): string[] {
  if (lines.length === 0) throw new Error('gpioset needs at least one line');
  return ['--mode=signal', chip, ...lines.map((l) => `${l.offset}=${l.on ? 1 : 0}`)];
}

/** LED_PINS: lights in the arcade buttons, driven through gpioset. */
export class ButtonLeds {
  private child: ChildProcess | undefined;
  private last = '';
  private chip = '';
  private offsets: number[] = [];
  private ready = false;
  private stopped = false;

  constructor(
    private readonly o: {
      chip: string;
      pins: readonly ButtonPin[];
      command?: string | undefined;
      gpiofindCommand?: string | undefined;
      log: Logger;
    },
  ) {}

  async start(): Promise<void> {
    this.chip = this.o.chip;
    this.offsets = this.o.pins.map((p) => p.pin);
    if (this.o.chip === 'auto') {
      const lines = await resolveLines(this.o.pins, this.o.gpiofindCommand);
      if (!lines.ok) {
        this.o.log.warn({ event: 'leds.failed', reason: lines.reason }, 'button lights unavailable');
        return;
      }
      this.chip = lines.chip;
      this.offsets = lines.offsets;
    }
    this.ready = true;
  }

  /** Sets the lights; a no-op when nothing changed. */
  update(states: LedStates): void {
    if (!this.ready || this.stopped) return;
    const lines = this.o.pins.map((p, i) => ({ offset: this.offsets[i] ?? p.pin, on: states[p.action] }));
    const args = gpiosetArgs(this.chip, lines);
    const key = args.join(' ');
    if (key === this.last) return;
    this.last = key;
    this.child?.kill('SIGTERM');
    const child = spawn(this.o.command ?? 'gpioset', args, { stdio: 'ignore' });
    child.once('error', (err) => this.o.log.warn({ event: 'leds.failed', err: err.message }, 'gpioset failed'));
    this.child = child;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    }
  }
}
