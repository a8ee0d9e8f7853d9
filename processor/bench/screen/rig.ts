// The rig of the big-screen benchmarks: photo-like frames, station packages, a 1920×1080
// Xvfb for mpv's real video output, and mpv's drop counters read over IPC.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MpvClient, spawnManaged, waitFor } from '@stop-motion/e2e';
import { DONE_FILE, frameFileName } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';

export const execFileP = promisify(execFile);
const ulid = monotonicFactory();
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const QUICK = Boolean(process.env.BENCH_QUICK);

import { FPS } from '../render-settings.js';

export { FPS };
export const f1 = (n: number) => n.toFixed(1);
export const f2 = (n: number) => n.toFixed(2);
export const load1 = () => f2(os.loadavg()[0] ?? 0);
/** mpv's real X11 output, no sound device, none of the machine's mpv config. */
export const MPV_BENCH_ARGS = '--vo=x11 --ao=null --no-config';

export { frames as photoFrames } from '../render-inputs.js';

/** A finished package as a station's outbox holds it: frames, manifest, PUBLISH, then DONE. */
export async function writeStationPackage(
  dest: string,
  source: string,
  count: number,
  w: number,
  h: number,
  stationId: string,
): Promise<string> {
  const id = ulid();
  const staging = path.join(dest, `.tmp-${id}`);
  await cp(source, staging, { recursive: true });
  const now = new Date().toISOString();
  const manifest = {
    format: 'stop-motion-package',
    version: 1,
    id,
    stationId,
    createdAt: now,
    finishedAt: now,
    fps: FPS,
    width: w,
    height: h,
    publish: 'public',
    title: `Burst · ${stationId}`,
    frames: await Promise.all(
      Array.from({ length: count }, async (_, i) => ({
        file: frameFileName(i),
        sha256: createHash('sha256')
          .update(await readFile(path.join(staging, frameFileName(i))))
          .digest('hex'),
      })),
    ),
  };
  await writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(path.join(staging, 'PUBLISH'), '');
  await rename(staging, path.join(dest, id));
  await writeFile(path.join(dest, id, DONE_FILE), '');
  return id;
}

/**
 * Niceness of the display path (Xvfb and mpv) in the playback bench: BENCH_SCREEN_NICE, default
 * -10 where it may be raised (root), else 0. On a shared machine other people's work at nice 0
 * starves Xvfb's copy of each 1080p frame and mpv drops frames with no render running; ahead
 * of that load the screen is as alone as on a processing unit and the drops left are the render's.
 */
export const SCREEN_NICE = Number(process.env.BENCH_SCREEN_NICE ?? (process.getuid?.() === 0 ? -10 : 0));

/** Sets the niceness of every thread of `pid` (setpriority on a pid changes one thread only). */
export async function reniceAll(pid: number, nice: number): Promise<void> {
  if (!nice) return;
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    try {
      os.setPriority(Number(tid), nice);
    } catch {
      // a thread that ended meanwhile
    }
  }
}

/** A 1920×1080 X server for mpv's real video output. */
export async function startXvfb(nice = 0): Promise<{ display: string; stop(): Promise<void> }> {
  for (let n = 90 + (process.pid % 50); ; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawnManaged({ name: 'Xvfb', command: 'Xvfb', args: [`:${n}`, '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'] });
    const up = await waitFor('Xvfb socket', () => existsSync(`/tmp/.X11-unix/X${n}`) || (proc.running() ? undefined : false), {
      timeoutMs: 10_000,
      intervalMs: 20,
    }).catch(() => false);
    if (up) {
      if (proc.child.pid) await reniceAll(proc.child.pid, nice);
      return { display: `:${n}`, stop: () => proc.stop() };
    }
    await proc.stop();
  }
}

export const COUNTERS = ['frame-drop-count', 'decoder-frame-drop-count', 'vo-delayed-frame-count'] as const;
export type Counts = Record<(typeof COUNTERS)[number], number>;

/**
 * Sums mpv's drop counters over a window. They restart at every file, so they are followed
 * as property-change events (none lost between polls): a rise adds its step, a fall (new
 * file) adds the new value.
 */
export class DropCounter {
  private last: Partial<Record<string, number>> = {};
  private total: Counts = { 'frame-drop-count': 0, 'decoder-frame-drop-count': 0, 'vo-delayed-frame-count': 0 };
  private timer: NodeJS.Timeout;
  files = 0;
  /** Every file mpv started, in order (path property changes). */
  readonly played: string[] = [];

  private constructor(private readonly ipc: MpvClient) {
    this.timer = setInterval(() => this.drain(), 50);
  }

  static async start(socket: string): Promise<DropCounter> {
    const ipc = await MpvClient.connect(socket);
    const c = new DropCounter(ipc);
    let id = 100;
    for (const name of [...COUNTERS, 'path']) await ipc.command('observe_property', id++, name);
    return c;
  }

  private drain(): void {
    for (const e of this.ipc.events.splice(0)) {
      if (e.event !== 'property-change' || typeof e.name !== 'string') continue;
      if (e.name === 'path') {
        if (typeof e.data === 'string') {
          this.files++;
          this.played.push(e.data);
        }
        continue;
      }
      const v = typeof e.data === 'number' ? e.data : 0;
      const before = this.last[e.name] ?? 0;
      this.total[e.name as keyof Counts] += v >= before ? v - before : v;
      this.last[e.name] = v;
    }
  }

  /** Counts since the previous snapshot. */
  snapshot(): Counts {
    this.drain();
    const out = { ...this.total };
    for (const k of COUNTERS) this.total[k] = 0;
    return out;
  }

  playlist() {
    return this.ipc.playlist();
  }

  close(): void {
    clearInterval(this.timer);
    this.ipc.close();
  }
}

/** CPU seconds (user + system) a process has used, 0 when it is gone. */
export async function cpuSeconds(pid: number | null): Promise<number> {
  if (!pid) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100 || 0;
}

/** The environment of a processor that plays on the bench's Xvfb screen with the bench's mpv options. */
export function screenProcessorEnv(display: string, inbox: string, dataDir: string): Record<string, string> {
  return {
    DISPLAY: display,
    PROCESSOR_INBOX: inbox,
    PROCESSOR_DATA_DIR: dataDir,
    PLAYER: 'mpv',
    MPV_FULLSCREEN: 'true',
    MPV_EXTRA_ARGS: MPV_BENCH_ARGS,
    LOG_LEVEL: 'info',
  };
}
