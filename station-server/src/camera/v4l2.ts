import { execFile } from 'node:child_process';
import type { Logger } from '../log.js';

/**
 * USB webcams (UVC) through v4l2-ctl (Debian package v4l-utils): which modes the
 * camera offers, and exposure, white balance and focus locked after a settle.
 * Parsing and argument building are pure; `runV4l2Ctl` is the one spawn.
 */

export interface V4l2Size {
  width: number;
  height: number;
  /** Discrete frame rates, as listed. */
  fps: number[];
}
export interface V4l2Format {
  /** Four-character code: 'MJPG', 'YUYV', 'H264', … */
  fourcc: string;
  description: string;
  sizes: V4l2Size[];
}

/**
 * `v4l2-ctl --list-formats-ext` output: "[0]: 'YUYV' (YUYV 4:2:2)", then
 * "Size: Discrete 1280x720" and "Interval: Discrete 0.040s (25.000 fps)" lines.
 * Stepwise/continuous sizes (rare on UVC) are skipped.
 */
export function parseFormatsExt(text: string): V4l2Format[] {
  const formats: V4l2Format[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const f = /^\[\d+\]:\s+'([^']{1,4})'\s+\((.*)\)$/.exec(line);
    if (f) {
      formats.push({ fourcc: (f[1] as string).trim(), description: f[2] as string, sizes: [] });
      continue;
    }
    const current = formats.at(-1);
    if (!current) continue;
    const s = /^Size: Discrete (\d+)x(\d+)$/.exec(line);
    if (s) {
      current.sizes.push({ width: Number(s[1]), height: Number(s[2]), fps: [] });
      continue;
    }
    const i = /^Interval: Discrete [\d.]+s \(([\d.]+) fps\)$/.exec(line);
    const size = current.sizes.at(-1);
    if (i && size) size.fps.push(Number(i[1]));
  }
  return formats;
}

export type V4l2Input = 'mjpeg' | 'yuyv422';
export interface V4l2Mode {
  input: V4l2Input;
  width: number;
  height: number;
  fps: number;
}

/** The camera's own fourcc for each input ffmpeg can take from it. */
const FOURCC: Record<V4l2Input, string> = { mjpeg: 'MJPG', yuyv422: 'YUYV' };

/**
 * The mode to open: the configured size in MJPEG when the camera offers it (its
 * JPEGs are copied as they are), else in YUYV (encoded here); at the configured
 * rate when listed, else the fastest below it, else the slowest above it.
 */
export function chooseMode(
  formats: readonly V4l2Format[],
  want: { width: number; height: number; fps: number },
): { ok: true; mode: V4l2Mode } | { ok: false; reason: string } {
  for (const input of ['mjpeg', 'yuyv422'] as const) {
    const format = formats.find((f) => f.fourcc === FOURCC[input]);
    const size = format?.sizes.find((s) => s.width === want.width && s.height === want.height);
    if (!size) continue;
    const rates = [...new Set(size.fps)].sort((a, b) => a - b);
    const below = rates.filter((r) => r <= want.fps + 0.01);
    const fps = below.at(-1) ?? rates[0] ?? want.fps;
    return { ok: true, mode: { input, width: want.width, height: want.height, fps: Math.round(fps * 1000) / 1000 } };
  }
  return {
    ok: false,
    reason: `the camera offers no ${want.width}x${want.height} in MJPEG or YUYV; it offers ${describeModes(formats) || 'nothing'}`,
  };
}

/** "MJPG 1280x720@25, 640x480@25; YUYV 1280x720@10, …" for logs and the operator corner. */
export function describeModes(formats: readonly V4l2Format[]): string {
  return formats
    .filter((f) => f.sizes.length > 0)
    .map((f) => `${f.fourcc} ${f.sizes.map((s) => `${s.width}x${s.height}@${Math.max(0, ...s.fps)}`).join(', ')}`)
    .join('; ');
}

/** Control names in `v4l2-ctl --list-ctrls` output ("  auto_exposure 0x009a0901 (menu) : …"). */
export function parseControlNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z0-9_]+) 0x[0-9a-f]{8} \(/.exec(line);
    if (m) names.add(m[1] as string);
  }
  return names;
}

/** `--get-ctrl` output: "exposure_time_absolute: 156" (menus: "auto_exposure: 3 (Aperture Priority Mode)"). */
export function parseControlValues(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z0-9_]+): (-?\d+)/.exec(line.trim());
    if (m) values[m[1] as string] = Number(m[2]);
  }
  return values;
}

/**
 * The automatic controls and the values they hold, under both names the uvcvideo
 * driver has used (renamed in Linux 5.17/6.x: exposure_auto → auto_exposure,
 * exposure_absolute → exposure_time_absolute, white_balance_temperature_auto →
 * white_balance_automatic, focus_auto → focus_automatic_continuous).
 */
const LOCKS = [
  { autos: ['auto_exposure', 'exposure_auto'], manual: 1, values: ['exposure_time_absolute', 'exposure_absolute'] },
  { autos: ['white_balance_automatic', 'white_balance_temperature_auto'], manual: 0, values: ['white_balance_temperature'] },
  { autos: ['focus_automatic_continuous', 'focus_auto'], manual: 0, values: ['focus_absolute'] },
] as const;

export interface LockPlan {
  /** Controls whose current (automatically chosen) value is read first. */
  read: string[];
  /** The automatic controls switched off, in that order. */
  off: Array<[string, number]>;
}

/** Which of the lockable controls this camera has, by whichever name its kernel uses. */
export function lockPlan(names: ReadonlySet<string>): LockPlan {
  const plan: LockPlan = { read: [], off: [] };
  for (const l of LOCKS) {
    const auto = l.autos.find((n) => names.has(n));
    if (!auto) continue;
    plan.off.push([auto, l.manual]);
    const value = l.values.find((n) => names.has(n));
    if (value) plan.read.push(value);
  }
  return plan;
}

/** v4l2-ctl argument lists (run without a shell). */
export const v4l2CtlArgs = {
  listFormats: (device: string) => ['--device', device, '--list-formats-ext'],
  listControls: (device: string) => ['--device', device, '--list-ctrls'],
  get: (device: string, names: readonly string[]) => ['--device', device, `--get-ctrl=${names.join(',')}`],
  set: (device: string, values: ReadonlyArray<readonly [string, number]>) => [
    '--device',
    device,
    `--set-ctrl=${values.map(([n, v]) => `${n}=${v}`).join(',')}`,
  ],
};

export async function runV4l2Ctl(command: string, args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5000 }, (err, stdout, stderr) => {
      if (!err) resolve({ ok: true, stdout });
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        resolve({ ok: false, reason: `${command} not found (install the Debian package v4l-utils)` });
      else resolve({ ok: false, reason: `${command} ${args.join(' ')}: ${(String(stderr).trim() || err.message).slice(0, 300)}` });
    });
  });
}

/**
 * Locks exposure, white balance and focus at what the camera settled on: reads the
 * values, switches the automatics off, then sets the values read (some cameras jump
 * to a default when their automatic goes off).
 */
export async function lockV4l2Controls(command: string, device: string, log: Logger): Promise<Record<string, number> | null> {
  const listed = await runV4l2Ctl(command, v4l2CtlArgs.listControls(device));
  if (!listed.ok) {
    log.warn({ event: 'camera.lock.failed', reason: listed.reason }, 'camera controls not locked');
    return null;
  }
  const plan = lockPlan(parseControlNames(listed.stdout));
  if (plan.off.length === 0) return {};
  const read = plan.read.length > 0 ? await runV4l2Ctl(command, v4l2CtlArgs.get(device, plan.read)) : { ok: true as const, stdout: '' };
  const values = read.ok ? parseControlValues(read.stdout) : {};
  const off = await runV4l2Ctl(command, v4l2CtlArgs.set(device, plan.off));
  const held = Object.entries(values);
  const set = held.length > 0 && off.ok ? await runV4l2Ctl(command, v4l2CtlArgs.set(device, held)) : off;
  if (!off.ok || !set.ok) {
    log.warn(
      { event: 'camera.lock.failed', reason: off.ok ? (set as { reason: string }).reason : off.reason },
      'camera controls not locked',
    );
    return null;
  }
  const locked = Object.fromEntries([...plan.off, ...held]);
  log.info({ event: 'camera.locked', locked }, 'camera controls locked after settling');
  return locked;
}
