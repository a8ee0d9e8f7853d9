import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { backoffMs } from '@stop-motion/kit';
import type { ButtonPin } from '../config.js';
import type { Logger } from '../log.js';
import type { ButtonHandlers, ButtonSource, ButtonsStatus } from './source.js';

/**
 * The libgpiod major version of the installed tools. Their command lines differ:
 * v1 (Debian 12) takes `<chip> <offset>…`, `-b` is line-buffered, and names are looked
 * up with `gpiofind`; v2 (Debian 13, today's Raspberry Pi OS) takes line names or
 * `-c <chip> <offset>…`, `-b` is the bias, and `gpiofind` is gone.
 */
export type GpiodVersion = 1 | 2;

/** `gpiomon --version` / `gpioset --version` begins "gpiomon (libgpiod) v2.2.1". */
export function parseGpiodVersion(output: string): GpiodVersion | null {
  const m = /\(libgpiod\)\s+v(\d+)\./.exec(output);
  if (!m) return null;
  const major = Number(m[1]);
  return major === 1 || major === 2 ? major : null;
}

/** Runs `<command> --version`; a clear reason when the tool is missing or unknown. */
export async function detectGpiodVersion(command: string): Promise<{ ok: true; version: GpiodVersion } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { timeout: 5000 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        resolve({ ok: false, reason: `${command} not found (install the Debian package gpiod)` });
        return;
      }
      const version = parseGpiodVersion(stdout ?? '');
      if (version === null)
        resolve({ ok: false, reason: `${command} --version: not libgpiod 1 or 2 (${String(stdout).trim().slice(0, 80)})` });
      else resolve({ ok: true, version });
    });
  });
}

/**
 * The lines to watch or drive. `chip` null: libgpiod 2 finds each line by its name
 * (`GPIO<bcm>` on the Pi's header) on whatever chip has it; else `ids` are offsets on `chip`.
 */
export interface GpioLines {
  chip: string | null;
  ids: string[];
}

/** What gpiomon (the buttons) and gpioset (their lights) are run with. */
export interface GpioToolOptions {
  /** A chip name, or "auto" to find the lines by name. */
  chip: string;
  pins: readonly ButtonPin[];
  /** Overrides the program name (tests, unusual installs). */
  command?: string | undefined;
  gpiofindCommand?: string | undefined;
  log: Logger;
}

export type GpioBias = 'pull-up' | 'pull-down' | 'as-is';

/**
 * gpiomon watching the button lines: pull-ups on, active-low (a pressed button pulls
 * the line to ground and reads as a rising edge), one line per event.
 * v1: `-b` line-buffers stdout (else events wait in a pipe buffer); "%o %e %s.%n".
 * v2: flushes by itself; "%o %e %S %l" (the name, to map lines found by name).
 */
export function gpiomonArgs(version: GpiodVersion, lines: GpioLines, bias: GpioBias = 'pull-up'): string[] {
  if (lines.ids.length === 0) throw new Error('gpiomon needs at least one line');
  if (version === 1) {
    if (lines.chip === null) throw new Error('libgpiod 1 gpiomon needs a chip');
    return ['-b', `--bias=${bias}`, '--active-low', '--format=%o %e %s.%n', lines.chip, ...lines.ids];
  }
  // v2 has no "as-is": leaving the bias alone is leaving the option out.
  const biasArg = bias === 'as-is' ? [] : [`--bias=${bias}`];
  const chipArg = lines.chip === null ? [] : ['--chip', lines.chip];
  return [...biasArg, '--active-low', '--edges=both', '--format=%o %e %S %l', ...chipArg, ...lines.ids];
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
  /** The line's name (libgpiod 2 output only). */
  name?: string;
}

/**
 * One line of gpiomon output, or null for anything else. Both versions' formats:
 * v1 "<offset> <1|0> <sec>.<nsec>" where %n is printed unpadded ("10.5000000" is 10 s
 * + 5 ms), v2 "<offset> <1|2> <sec>.<nsec, 9 digits> <name>". Read as a whole number
 * of nanoseconds, the fraction is right in both.
 */
export function parseGpiomonLine(line: string): GpioEvent | null {
  const m = /^\s*(\d+)\s+([012])\s+(\d+)\.(\d{1,9})(?:\s+(\S.*?))?\s*$/.exec(line);
  if (!m) return null;
  const nanos = Number(m[4]);
  const ev: GpioEvent = { offset: Number(m[1]), pressed: m[2] === '1', timeMs: Number(m[3]) * 1000 + nanos / 1e6 };
  if (m[5] !== undefined) ev.name = m[5];
  return ev;
}

/**
 * The edge's time on the performance.now() clock. gpiomon stamps events with
 * CLOCK_MONOTONIC by default (both versions, kernel ≥ 5.7), the clock hrtime reads, so
 * debounce sees the kernel's timing even when a pipe delivers edges in a batch. A stamp
 * from another clock (realtime on old kernels) falls back to the arrival time.
 */
export function edgeTime(eventMs: number, monotonicNowMs: number, perfNowMs: number): number {
  const age = monotonicNowMs - eventMs;
  return age >= 0 && age < 5000 ? perfNowMs - age : perfNowMs;
}

/** `gpiofind` argv for a BCM pin: the Pi names its header lines GPIO<n>. */
export function gpiofindArgs(pin: number): string[] {
  return [lineName(pin)];
}

/** The Pi's name of a header line. */
export function lineName(pin: number): string {
  return `GPIO${pin}`;
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

/**
 * Which lines to use for the pins: a chip named in GPIO_CHIP takes the BCM numbers
 * as offsets; "auto" finds the lines named GPIO<pin>, by gpiomon itself on libgpiod 2,
 * with gpiofind on libgpiod 1.
 */
export async function planLines(
  version: GpiodVersion,
  chip: string,
  pins: readonly ButtonPin[],
  gpiofindCommand = 'gpiofind',
): Promise<{ ok: true; lines: GpioLines } | { ok: false; reason: string }> {
  if (pins.length === 0) return { ok: false, reason: 'no pins configured' };
  if (chip !== 'auto') return { ok: true, lines: { chip, ids: pins.map((p) => String(p.pin)) } };
  if (version === 2) return { ok: true, lines: { chip: null, ids: pins.map((p) => lineName(p.pin)) } };
  const found = await resolveLines(pins, gpiofindCommand);
  if (!found.ok) return found;
  return { ok: true, lines: { chip: found.chip, ids: found.offsets.map(String) } };
}

/** Index of the pin an event belongs to: by name when the lines were given by name, else by offset. */
export function eventIndex(lines: GpioLines, ev: GpioEvent): number {
  if (lines.chip === null) return ev.name === undefined ? -1 : lines.ids.indexOf(ev.name);
  return lines.ids.indexOf(String(ev.offset));
}

/** BUTTONS=gpiomon: one supervised gpiomon process (libgpiod 1 or 2); restarts when it exits. */
export class GpiomonButtons implements ButtonSource {
  readonly kind = 'gpiomon';
  private child: ChildProcess | undefined;
  private current: ButtonsStatus = { kind: 'gpiomon', state: 'off' };
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private handlers: ButtonHandlers | undefined;

  private version: GpiodVersion = 1;
  private lines: GpioLines = { chip: null, ids: [] };

  constructor(private readonly options: GpioToolOptions) {}

  status(): ButtonsStatus {
    return { ...this.current };
  }

  private setStatus(s: ButtonsStatus): void {
    this.current = s;
    this.handlers?.onStatus(this.status());
  }

  private fail(reason: string): void {
    // A broken button backend is a warning, not a crash: the UI's keys still work.
    this.options.log.error({ event: 'buttons.failed', reason }, 'gpiomon buttons unavailable');
    this.setStatus({ kind: 'gpiomon', state: 'failed', message: reason });
  }

  async start(handlers: ButtonHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopping = false;
    const command = this.options.command ?? 'gpiomon';
    const detected = await detectGpiodVersion(command);
    if (!detected.ok) return this.fail(detected.reason);
    this.version = detected.version;
    const planned = await planLines(this.version, this.options.chip, this.options.pins, this.options.gpiofindCommand);
    if (!planned.ok) return this.fail(planned.reason);
    this.lines = planned.lines;
    this.options.log.info(
      { event: 'buttons.gpiomon', libgpiod: this.version, chip: this.lines.chip, lines: this.lines.ids },
      'watching buttons',
    );
    this.spawn();
  }

  private spawn(): void {
    const command = this.options.command ?? 'gpiomon';
    const args = gpiomonArgs(this.version, this.lines);
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
        const action = ev ? this.options.pins[eventIndex(this.lines, ev)]?.action : undefined;
        if (!ev || !action) continue;
        if (!healthy) {
          healthy = true;
          this.failures = 0;
        }
        const at = edgeTime(ev.timeMs, Number(process.hrtime.bigint()) / 1e6, performance.now());
        this.handlers?.onEdge({ action, pressed: ev.pressed, at });
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
      const delay = backoffMs(this.failures++, { minMs: 1000, maxMs: 30_000 });
      this.options.log.warn({ event: 'buttons.exit', reason, delayMs: delay }, 'gpiomon ended; restarting');
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
