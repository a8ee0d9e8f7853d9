/**
 * The big screen under load, printed, never asserted.
 *
 * playback: the processor's own mpv plays the real playlist (1080p films it rendered) with a
 *   real video output (`--vo=x11`, full screen on a 1920×1080 Xvfb) while N films (1, 3, 10)
 *   finish at once and render; mpv's frame-drop-count, decoder-frame-drop-count and
 *   vo-delayed-frame-count are read over IPC. A grid of RENDER_THREADS × RENDER_NICE (and a
 *   lower CPU weight for the processor's cgroup, where cgroup v1 `cpu.shares` is writable)
 *   is measured at N = 3; each cell also plays without any render first, the baseline.
 * burst: 10 stations finish 1 s apart; each package goes through the stations' own
 *   delivery code (rsync, files then DONE) to an rsync daemon with one module per station
 *   in the processor's inbox. Finish → queued on mpv, the premiere order read from mpv's
 *   playlist, finish → listed by the gallery (a real gallery on s3rver + redis-server).
 * pinned: both again with the processor (and the mpv and ffmpeg it starts) on one core
 *   (`taskset -c 0`), a stand-in for a small processing unit.
 *
 *   BENCH_PARTS=playback,burst,pinned npm run bench -w @stop-motion/processor
 *   BENCH_QUICK=1 …   (playback: N = 1 at the default settings, short films; burst of 3)
 *   BENCH_PINNED_N=1,3 …   (the N measured on one core; default 1,3,10)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  freePort,
  type ManagedProcess,
  MpvClient,
  spawnManaged,
  startRedis,
  startRsyncDaemon,
  startS3,
  type TempDir,
  tempDir,
  waitFor,
} from '@stop-motion/e2e';
import { DONE_FILE, frameFileName } from '@stop-motion/protocol';
import { Delivery } from '@stop-motion/station-server/delivery';
import pino from 'pino';
import { monotonicFactory } from 'ulid';
import { defaultRenderThreads } from '../src/config.js';
import { getStatus, type ProcessorChild, startProcessorChild } from '../test/child.js';
import { benchParts } from './parts.js';

const execFileP = promisify(execFile);
const ulid = monotonicFactory();
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const QUICK = Boolean(process.env.BENCH_QUICK);
const FPS = 10;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const parts = benchParts();
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const load1 = () => f2(os.loadavg()[0] ?? 0);

/** Photo-like frames (a zooming fractal with sensor-like noise and a stamped number), cached between runs. */
async function photoFrames(count: number, width: number, height: number): Promise<string> {
  const dir = path.join(os.tmpdir(), `sms-bench-frames-${width}x${height}-${count}`);
  if (existsSync(path.join(dir, frameFileName(count - 1)))) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  process.stdout.write(`  making ${count} frames at ${width}×${height}…\n`);
  await execFileP('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', `mandelbrot=s=${width}x${height}:r=${FPS}:end_scale=0.02:maxiter=96`],
    ...['-vf', `noise=alls=8:allf=t+u,drawtext=fontfile=${FONT}:text='%{n}':fontsize=${Math.round(height / 10)}:fontcolor=white:x=30:y=30`],
    ...['-frames:v', String(count), '-q:v', '3', '-start_number', '0', path.join(dir, '%04d.jpg')],
  ]);
  return dir;
}

/** A finished package as a station's outbox holds it: frames, manifest, PUBLISH, then DONE. */
async function writeStationPackage(dest: string, source: string, count: number, w: number, h: number, stationId: string): Promise<string> {
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

/** A 1920×1080 X server for mpv's real video output. */
async function startXvfb(): Promise<{ display: string; stop(): Promise<void> }> {
  for (let n = 90 + (process.pid % 50); ; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawnManaged({ name: 'Xvfb', command: 'Xvfb', args: [`:${n}`, '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'] });
    const up = await waitFor('Xvfb socket', () => existsSync(`/tmp/.X11-unix/X${n}`) || (proc.running() ? undefined : false), {
      timeoutMs: 10_000,
      intervalMs: 20,
    }).catch(() => false);
    if (up) return { display: `:${n}`, stop: () => proc.stop() };
    await proc.stop();
  }
}

const COUNTERS = ['frame-drop-count', 'decoder-frame-drop-count', 'vo-delayed-frame-count'] as const;
type Counts = Record<(typeof COUNTERS)[number], number>;

/**
 * Sums mpv's drop counters over a window. They restart at every file, so they are followed
 * as property-change events (none lost between polls): a rise adds its step, a fall (new
 * file) adds the new value.
 */
class DropCounter {
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
async function cpuSeconds(pid: number | null): Promise<number> {
  if (!pid) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100 || 0;
}

/** cgroup v1 CPU weight for the processor and everything it starts; null where it cannot be made. */
async function cpuGroup(
  name: string,
  shares: number,
): Promise<{ add(pid: number): Promise<void>; release(pid: number): Promise<void>; remove(): Promise<void> } | null> {
  const root = '/sys/fs/cgroup/cpu';
  const dir = path.join(root, name);
  try {
    await mkdir(dir);
    await writeFile(path.join(dir, 'cpu.shares'), String(shares));
  } catch {
    return null;
  }
  return {
    add: (pid) => writeFile(path.join(dir, 'cgroup.procs'), String(pid)),
    // mpv goes back to the parent group: the weight is for the renders, not the screen.
    release: (pid) => writeFile(path.join(root, 'cgroup.procs'), String(pid)),
    async remove() {
      for (const pid of (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean)) {
        await writeFile(path.join(root, 'cgroup.procs'), pid).catch(() => {});
      }
      await rm(dir, { recursive: false, force: true }).catch(() => execFileP('rmdir', [dir]).catch(() => {}));
    },
  };
}

interface Cell {
  threads: number;
  nice: number;
  /** cgroup v1 cpu.shares of the processor's group (1024 = the default weight). */
  shares?: number;
}

interface PlaybackRow {
  label: string;
  n: number;
  base: Counts;
  baseSeconds: number;
  load: Counts;
  loadSeconds: number;
  mpvCpu: number;
  loadAvg: string;
  /** Films quarantined (past their render deadline) instead of queued. */
  lost: number;
}

const cellLabel = (c: Cell) => `threads ${c.threads}, nice ${c.nice}${c.shares ? `, cpu.shares ${c.shares}` : ''}`;

async function playback(pinned: boolean): Promise<PlaybackRow[]> {
  const wrap = pinned ? ['taskset', '-c', '0'] : undefined;
  const defaults: Cell = { threads: Number(process.env.BENCH_THREADS ?? defaultRenderThreads()), nice: 10 };
  const film = QUICK ? { frames: 30, w: 1920, h: 1080 } : { frames: 60, w: 1920, h: 1080 };
  const baseSeconds = QUICK ? 5 : 15;
  // BENCH_N (default 1,3,10): N at the default settings; BENCH_CELLS ("threads/nice[/cpu.shares]", comma
  // separated): the grid, each at N = 3. On one core only the defaults are measured (BENCH_PINNED_N).
  const nums = (v: string | undefined, fallback: string) =>
    (v ?? fallback)
      .split(',')
      .map(Number)
      .filter((n) => n > 0);
  const grid = (process.env.BENCH_CELLS ?? '2/10,1/19,2/19,2/0,1/10/128')
    .split(',')
    .filter(Boolean)
    .map((c): Cell => {
      const [threads, nice, shares] = c.split('/').map(Number);
      return { threads: threads ?? 1, nice: nice ?? 10, ...(shares ? { shares } : {}) };
    });
  const runs: Array<{ cell: Cell; n: number }> = QUICK
    ? [{ cell: defaults, n: 1 }]
    : pinned
      ? nums(process.env.BENCH_PINNED_N, '1,3,10').map((n) => ({ cell: defaults, n }))
      : [...nums(process.env.BENCH_N, '1,3,10').map((n) => ({ cell: defaults, n })), ...grid.map((cell) => ({ cell, n: 3 }))];
  const x = await startXvfb();
  const dir = await tempDir('bench-screen');
  const inbox = path.join(dir.path, 'inbox');
  const dataDir = path.join(dir.path, 'data');
  const src = await photoFrames(film.frames, film.w, film.h);
  const rows: PlaybackRow[] = [];
  const start = (cell: Cell) =>
    startProcessorChild(
      {
        DISPLAY: x.display,
        PROCESSOR_INBOX: inbox,
        PROCESSOR_DATA_DIR: dataDir,
        PLAYER: 'mpv',
        MPV_FULLSCREEN: 'true',
        MPV_EXTRA_ARGS: '--vo=x11 --ao=null --no-config',
        RENDER_THREADS: String(cell.threads),
        RENDER_NICE: String(cell.nice),
        LOG_LEVEL: 'info',
      },
      wrap ? { wrap } : {},
    );
  /** Waits until every film is on the playlist or was lost (quarantined or failed, e.g. past its render deadline); returns how many were lost. */
  const waitQueued = (child: ProcessorChild, ids: string[]) =>
    waitFor(
      'the films on the playlist',
      async () => {
        const s = await getStatus(child.url);
        const lost = ids.filter((id) => s.jobs.some((j) => j.id === id && (j.state === 'quarantined' || j.state === 'failed')));
        return ids.every((id) => s.playlist.includes(id) || lost.includes(id)) ? lost.length : undefined;
      },
      { timeoutMs: 3_600_000, intervalMs: 100 },
    );
  const deliverFlat = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await writeStationPackage(inbox, src, film.frames, film.w, film.h, 'bench'));
    return ids;
  };
  try {
    await mkdir(inbox, { recursive: true });
    // The playlist: two 1080p films the processor rendered itself.
    {
      const child = await start(defaults);
      await waitQueued(child, await deliverFlat(2));
      await child.proc.stop();
    }
    for (const { cell, n } of runs) {
      const child = await start(cell);
      const socket = path.join(dataDir, 'mpv.sock');
      const mpvPid = await waitFor(
        'mpv playing a film',
        async () => {
          const s = await getStatus(child.url);
          return s.player.state === 'playing' && s.nowPlaying && s.player.pid ? s.player.pid : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      let group: Awaited<ReturnType<typeof cpuGroup>> = null;
      if (cell.shares) {
        group = await cpuGroup(`sms-bench-${process.pid}`, cell.shares);
        if (!group) {
          console.log(`  ${cellLabel(cell)}: no writable cgroup v1 cpu controller here, skipped`);
          await child.proc.stop();
          continue;
        }
        await group.add(child.proc.child.pid as number);
        await group.release(mpvPid);
      }
      const drops = await DropCounter.start(socket);
      try {
        await new Promise((r) => setTimeout(r, baseSeconds * 1000));
        const base = drops.snapshot();
        const cpu0 = await cpuSeconds(mpvPid);
        const t0 = performance.now();
        const lost = await waitQueued(child, await deliverFlat(n));
        const loadSeconds = (performance.now() - t0) / 1000;
        const load = drops.snapshot();
        const mpvCpu = ((await cpuSeconds(mpvPid)) - cpu0) / loadSeconds;
        const row = { label: cellLabel(cell), n, base, baseSeconds, load, loadSeconds, mpvCpu, loadAvg: load1(), lost };
        rows.push(row);
        console.log(
          `  ${row.label}, N=${n}: rendering ${f1(loadSeconds)} s — dropped ${load['frame-drop-count']} (vo) ${load['decoder-frame-drop-count']} (decoder), delayed ${load['vo-delayed-frame-count']}; idle ${baseSeconds} s: ${base['frame-drop-count']} / ${base['decoder-frame-drop-count']} / ${base['vo-delayed-frame-count']}; mpv CPU ${Math.round(mpvCpu * 100)} %; load ${row.loadAvg}${lost ? `; ${lost} film(s) LOST past the render deadline` : ''}`,
        );
      } finally {
        drops.close();
        await child.proc.stop();
        await group?.remove();
      }
    }
  } finally {
    await x.stop();
    await dir.remove();
  }
  console.log(
    `\n| settings | N films | rendering s | dropped (vo) | dropped (decoder) | delayed | drops per 1000 frames | idle: dropped per 1000 frames | mpv CPU % | load | films lost |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const per = (c: Counts, s: number) => f1(((c['frame-drop-count'] + c['decoder-frame-drop-count']) / (s * FPS)) * 1000);
    console.log(
      `| ${r.label} | ${r.n} | ${f1(r.loadSeconds)} | ${r.load['frame-drop-count']} | ${r.load['decoder-frame-drop-count']} | ${r.load['vo-delayed-frame-count']} | ${per(r.load, r.loadSeconds)} | ${per(r.base, r.baseSeconds)} | ${Math.round(r.mpvCpu * 100)} | ${r.loadAvg} | ${r.lost} |`,
    );
  }
  console.log('goal: 0 dropped frames at the default settings');
  return rows;
}

/** The gallery as a real child process on the same S3 and Redis. */
async function startGallery(env: Record<string, string>): Promise<{ url: string; proc: ManagedProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnManaged({
    name: 'gallery',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'gallery', 'src', 'main.ts')],
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: 'warn',
      GALLERY_HOST: '127.0.0.1',
      GALLERY_PORT: String(port),
      GALLERY_PUBLIC_URL: url,
      GALLERY_ADMIN_TOKEN: 'bench-admin-token-0123456789',
      REFRESH_SECONDS: '5',
    },
    keepLines: 100,
  });
  await waitFor('gallery /healthz', async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok || undefined, {
    timeoutMs: 60_000,
    intervalMs: 100,
    failIf: () => (proc.running() ? undefined : `gallery exited:\n${proc.output()}`),
  });
  return { url, proc };
}

async function galleryIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const res = await fetch(`${url}/api/movies?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      signal: AbortSignal.timeout(5000),
    });
    const page = (await res.json()) as { movies: Array<{ id: string }>; next: string | null };
    for (const m of page.movies) ids.add(m.id);
    cursor = page.next;
  } while (cursor);
  return ids;
}

interface BurstResult {
  stations: number;
  queuedMax: number;
  galleryMax: number;
  inOrder: boolean;
  spanSeconds: number;
}

async function burst(pinned: boolean): Promise<BurstResult> {
  const stations = QUICK ? 3 : 10;
  const film = QUICK ? { frames: 30, w: 1280, h: 720 } : { frames: 60, w: 1280, h: 720 };
  const x = await startXvfb();
  const dir: TempDir = await tempDir('bench-burst');
  const inbox = path.join(dir.path, 'inbox');
  const dataDir = path.join(dir.path, 'data');
  const names = Array.from({ length: stations }, (_, i) => `station-${i + 1}`);
  await mkdir(inbox, { recursive: true });
  for (const n of names) {
    await mkdir(path.join(inbox, n), { recursive: true });
    await writeFile(path.join(inbox, n, '.stop-motion-area'), '');
  }
  const src = await photoFrames(film.frames, film.w, film.h);
  const s3 = await startS3();
  const redis = await startRedis();
  const rsyncd = await startRsyncDaemon({
    modules: names.map((n) => ({ module: n, user: n, secret: `secret-${n}`, path: path.join(inbox, n) })),
  });
  const stops: Array<() => Promise<void>> = [];
  try {
    const shared = { ...s3.env(), REDIS_URL: redis.url };
    const gallery = await startGallery(shared);
    stops.push(() => gallery.proc.stop());
    const child = await startProcessorChild(
      {
        ...shared,
        DISPLAY: x.display,
        PROCESSOR_INBOX: inbox,
        PROCESSOR_DATA_DIR: dataDir,
        PLAYER: 'mpv',
        MPV_FULLSCREEN: 'true',
        MPV_EXTRA_ARGS: '--vo=x11 --ao=null --no-config',
        LOG_LEVEL: 'info',
      },
      pinned ? { wrap: ['taskset', '-c', '0'] } : {},
    );
    stops.push(() => child.proc.stop());
    const mpv = await DropCounter.start(path.join(dataDir, 'mpv.sock'));
    stops.push(async () => mpv.close());
    const log = pino({ level: 'silent' });
    const deliveries = names.map((n, i) => {
      const root = path.join(dir.path, 'stations', n);
      const module = rsyncd.modules[i];
      if (!module) throw new Error('rsync module missing');
      return {
        outbox: path.join(root, 'outbox'),
        delivery: new Delivery({
          config: {
            target: module.url,
            rsyncPassword: module.secret,
            rsyncPasswordFile: undefined,
            sshKey: undefined,
            timeoutSeconds: 60,
            retryMinMs: 1000,
            retryMaxMs: 10_000,
            sentRetentionDays: 1,
          },
          outboxDir: path.join(root, 'outbox'),
          sentDir: path.join(root, 'sent'),
          log,
        }),
      };
    });
    for (const d of deliveries) {
      await mkdir(d.outbox, { recursive: true });
      await mkdir(path.join(path.dirname(d.outbox), 'sent'), { recursive: true });
      await d.delivery.start();
      stops.push(() => d.delivery.stop());
    }
    // Packages are made before the clock starts: a finish is the station moving one into its outbox.
    const ready: Array<{ staged: string; id: string }> = [];
    for (const [i, n] of names.entries()) {
      const staged = path.join(dir.path, 'stations', n, 'staged');
      await mkdir(staged, { recursive: true });
      ready.push({ staged, id: await writeStationPackage(staged, src, film.frames, film.w, film.h, names[i] as string) });
    }
    const finishedAt = new Map<string, number>();
    const queuedAt = new Map<string, number>();
    const listedAt = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const list = new Set((await mpv.playlist().catch(() => [])).map((e) => path.basename(path.dirname(e.filename))));
        const listed = await galleryIds(gallery.url).catch(() => new Set<string>());
        const now = performance.now();
        for (const { id } of ready) {
          if (!queuedAt.has(id) && list.has(id)) queuedAt.set(id, now);
          if (!listedAt.has(id) && listed.has(id)) listedAt.set(id, now);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    const spacing = 10_000 / stations;
    for (const [i, { staged, id }] of ready.entries()) {
      const wait = t0 + i * spacing - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const d = deliveries[i];
      if (!d) continue;
      await rename(path.join(staged, id), path.join(d.outbox, id));
      finishedAt.set(id, performance.now());
      d.delivery.kick();
    }
    const spanSeconds = (performance.now() - t0) / 1000;
    const premieres = () => [...new Set(mpv.played.map((f) => path.basename(path.dirname(f))).filter((id) => finishedAt.has(id)))];
    await waitFor('every film queued and in the gallery', () => (listedAt.size === stations && queuedAt.size === stations) || undefined, {
      timeoutMs: 3_600_000,
      intervalMs: 200,
    });
    watching = false;
    await watcher;
    // Premiere order: the order in which mpv first played the burst's films (its path changes over IPC).
    await waitFor('every film premiered', () => premieres().length === stations || undefined, {
      timeoutMs: 600_000,
      intervalMs: 200,
    });
    const order = premieres();
    const finishOrder = [...finishedAt.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    const inOrder = JSON.stringify(order) === JSON.stringify(finishOrder);
    const lat = (m: Map<string, number>) => ready.map(({ id }) => ((m.get(id) ?? Number.NaN) - (finishedAt.get(id) ?? 0)) / 1000);
    const queued = lat(queuedAt);
    const listed = lat(listedAt);
    const lastFinish = Math.max(...finishedAt.values());
    const status = await getStatus(child.url);
    const drops = mpv.snapshot();
    console.log(
      `  ${stations} stations finished over ${f1(spanSeconds)} s (${pinned ? 'processor on one core' : 'all cores'}); load ${load1()}`,
    );
    console.log(`  finish → queued on mpv, per station (s): ${queued.map(f1).join(' ')}`);
    console.log(`  finish → in the gallery, per station (s): ${listed.map(f1).join(' ')}`);
    console.log(
      `  last queued ${f1((Math.max(...queuedAt.values()) - lastFinish) / 1000)} s after the last finish; gallery complete ${f1((Math.max(...listedAt.values()) - lastFinish) / 1000)} s after it`,
    );
    console.log(
      `  premiere order = finish order: ${inOrder ? 'yes' : `NO (${order.map((id) => finishOrder.indexOf(id) + 1).join(',')})`}; films done ${status.jobs.filter((j) => j.state === 'done').length}/${stations}; mpv dropped ${drops['frame-drop-count']} (vo) ${drops['decoder-frame-drop-count']} (decoder) meanwhile`,
    );
    return { stations, queuedMax: Math.max(...queued), galleryMax: Math.max(...listed), inOrder, spanSeconds };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await rsyncd.close();
    await redis.close();
    await s3.close();
    await x.stop();
    await dir.remove();
  }
}

async function main(): Promise<void> {
  const header = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map(f2).join(' ')}`;
  const burstRows: Array<[string, BurstResult]> = [];
  if (parts.has('playback')) {
    console.log(`\nbig screen under load — ${header}`);
    await playback(false);
  }
  if (parts.has('burst')) {
    console.log(`\nburst of finishes — ${header}`);
    burstRows.push(['all cores', await burst(false)]);
  }
  if (parts.has('pinned')) {
    console.log(`\nbig screen under load, processor on one core (taskset -c 0) — ${header}`);
    await playback(true);
    console.log(`\nburst of finishes, processor on one core (taskset -c 0) — ${header}`);
    burstRows.push(['one core', await burst(true)]);
  }
  if (burstRows.length > 0) {
    console.log('\n| processor on | stations | finish → queued, worst s | finish → gallery, worst s | premieres in finish order |');
    console.log('|---|---|---|---|---|');
    for (const [label, r] of burstRows)
      console.log(`| ${label} | ${r.stations} | ${f1(r.queuedMax)} | ${f1(r.galleryMax)} | ${r.inOrder ? 'yes' : 'no'} |`);
    console.log('goals: last queued ≤ 60 s after its finish, gallery complete ≤ 90 s, premieres in finish order');
  }
}

if (parts.has('playback') || parts.has('burst') || parts.has('pinned')) await main();
