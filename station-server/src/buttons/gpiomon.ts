import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { ButtonAction } from '@stop-motion/protocol';
import type { ButtonPin } from '../config.js';
import type { Logger } from '../log.js';
import type { ButtonHandlers, ButtonSource, ButtonsStatus } from './source.js';

/**
 * libgpiod v1 `gpiomon` watching the button lines: line-buffered output (`-b`),
 * pull-ups on, active-low (a pressed button pulls the line to ground and reads as
 * a rising edge), one line per event: "<offset> <1|0> <sec>.<nsec>".
 */
export function gpiomonArgs(o: { chip: string; offsets: readonly number[]; bias?: 'pull-up' | 'pull-down' | 'as-is' }): string[] {
  if (o.offsets.length === 0) throw new Error('gpiomon needs at least one line');
  return ['-b', `--bias=${o.bias ?? 'pull-up'}`, '--active-low', '--format=%o %e %s.%n', o.chip, ...o.offsets.map(String)];
}

/** `gpiofind <name>` answers "<chip> <offset>". */
export function parseGpiofind(output: string): { chip: string; offset: number } | null {
  const m = /^(\S+)\s+(\d+)\s*$/.exec(output.trim());
  return m ? { chip: m[1] as string, offset: Number(m[2]) } : null;
}

export interface GpioEvent {
  offset: number;
  /** true for a press (rising edge on an active-low line). */
  pressed: boolean;
  /** Kernel timestamp in ms. */
  timeMs: number;
}

/** One line of gpiomon output, or null for anything else. */
export function parseGpiomonLine(line: string): GpioEvent | null {
  const m = /^\s*(\d+)\s+([01])\s+(\d+)\.(\d{1,9})\s*$/.exec(line);
  if (!m) return null;
  const nanos = Number((m[4] as string).padEnd(9, '0'));
  return { offset: Number(m[1]), pressed: m[2] === '1', timeMs: Number(m[3]) * 1000 + nanos / 1e6 };
}

/** `gpiofind` argv for a BCM pin: the Pi names its header lines GPIO<n>. */
export function gpiofindArgs(pin: number): string[] {
  return [`GPIO${pin}`];
}

/**
 * Resolves BCM pins to one chip and line offsets with gpiofind (the chip differs
 * between Pi models and kernels). All buttons must be on one chip.
 */
export async function resolveLines(
  pins: readonly ButtonPin[],
  command = 'gpiofind',
): Promise<{ ok: true; chip: string; offsets: number[] } | { ok: false; reason: string }> {
  let chip: string | undefined;
  const offsets: number[] = [];
  for (const p of pins) {
    const out = await new Promise<string | null>((resolve) => {
      execFile(command, gpiofindArgs(p.pin), { timeout: 5000 }, (err, stdout) => resolve(err ? null : stdout));
    });
    const found = out === null ? null : parseGpiofind(out);
    if (!found) return { ok: false, reason: `gpiofind found no line GPIO${p.pin}` };
    if (chip !== undefined && chip !== found.chip) return { ok: false, reason: `buttons are on different chips (${chip}, ${found.chip})` };
    chip = found.chip;
    offsets.push(found.offset);
  }
  if (chip === undefined) return { ok: false, reason: 'no button pins configured' };
  return { ok: true, chip, offsets };
}

/** BUTTONS=gpiomon: one supervised gpiomon process; restarts when it exits. */
export class GpiomonButtons implements ButtonSource {
  readonly kind = 'gpiomon';
  private child: ChildProcess | undefined;
  private current: ButtonsStatus = { kind: 'gpiomon', state: 'off' };
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private handlers: ButtonHandlers | undefined;

  private chip = '';
  private offsets: number[] = [];

  constructor(
    private readonly o: {
      /** A chip name, or "auto" to find the lines with gpiofind. */
      chip: string;
      pins: readonly ButtonPin[];
      command?: string | undefined;
      gpiofindCommand?: string | undefined;
      log: Logger;
    },
  ) {}

  status(): ButtonsStatus {
    return { ...this.current };
  }

  private setStatus(s: ButtonsStatus): void {
    this.current = s;
    this.handlers?.onStatus(this.status());
  }

  async start(handlers: ButtonHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopping = false;
    this.chip = this.o.chip;
    this.offsets = this.o.pins.map((p) => p.pin);
    if (this.o.chip === 'auto') {
      const lines = await resolveLines(this.o.pins, this.o.gpiofindCommand);
      if (!lines.ok) {
        // A broken button backend is a warning, not a crash: the UI's keys still work.
        this.o.log.error({ event: 'buttons.failed', reason: lines.reason }, 'cannot find the button lines');
        this.setStatus({ kind: 'gpiomon', state: 'failed', message: lines.reason });
        return;
      }
      this.chip = lines.chip;
      this.offsets = lines.offsets;
    }
    this.spawn();
  }

  private spawn(): void {
    const byOffset = new Map<number, ButtonAction>(this.o.pins.map((p, i) => [this.offsets[i] ?? p.pin, p.action]));
    const command = this.o.command ?? 'gpiomon';
    const args = gpiomonArgs({ chip: this.chip, offsets: this.offsets });
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let partial = '';
    let stderr = '';
    let healthy = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const ev = parseGpiomonLine(line);
        const action = ev ? byOffset.get(ev.offset) : undefined;
        if (!ev || !action) continue;
        if (!healthy) {
          healthy = true;
          this.failures = 0;
        }
        this.handlers?.onEdge({ action, pressed: ev.pressed, at: performance.now() });
      }
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-500);
    });
    child.once('spawn', () => this.setStatus({ kind: 'gpiomon', state: 'ok' }));
    const onEnd = (reason: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.failures++, 5));
      this.o.log.warn({ event: 'buttons.exit', reason, delayMs: delay }, 'gpiomon ended; restarting');
      this.setStatus({ kind: 'gpiomon', state: 'failed', message: reason });
      this.restartTimer = setTimeout(() => this.spawn(), delay);
    };
    child.once('error', (err) => onEnd(`gpiomon could not start: ${err.message}`));
    child.once('exit', (code, signal) => onEnd(`gpiomon exited (${signal ?? `code ${code}`}) ${stderr.trim().slice(-200)}`.trim()));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    }
    this.setStatus({ kind: 'gpiomon', state: 'off' });
  }
}
