/**
 * Station server benchmarks (printed, not asserted):
 *   1. capture latency: sim button press → frame.added at a WebSocket client, p50/p95
 *   2. live view: frames per second one client receives, and the server's CPU use
 *   3. memory: server RSS after N captures across many movies vs after the first 100
 *   4. thumbs: a strip thumbnail by libvips in the process against one ffmpeg process
 *      per frame (what the station used before), wall and CPU time per frame
 * 1–3 run the real server as a child process (as on a station) with the test camera.
 * Knobs: BENCH_LATENCY_CAPTURES (200), BENCH_LIVE_SECONDS (60), BENCH_CAPTURES (10000),
 * BENCH_THUMBS (50).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { type ServerMessage, serverMessageSchema } from '@stop-motion/protocol';
import WebSocket from 'ws';
import { makeThumbnail } from '../src/thumbnails.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainTs = path.join(repoRoot, 'station-server/src/main.ts');
const TICKS = 100; // USER_HZ on Linux

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

async function startServer(env: Record<string, string>): Promise<{ proc: ManagedProcess; url: string; remove(): Promise<void> }> {
  const dir = await tempDir('bench');
  let url: string | undefined;
  const proc = spawnManaged({
    name: 'station',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', mainTs],
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      STATION_PORT: '0',
      STATION_DATA_DIR: dir.path,
      CAMERA: 'test',
      BUTTONS: 'sim',
      CAPTURE_LOCKOUT_MS: '0',
      DISK_MIN_FREE_MB: '0',
      DISK_CLEANUP_FREE_MB: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    onLine: (line) => {
      if (line.includes('"msg":"listening"')) url = (JSON.parse(line) as { url: string }).url;
    },
  });
  const found = await waitFor('listening', () => url, { timeoutMs: 60_000, failIf: () => (proc.running() ? undefined : proc.output()) });
  return {
    proc,
    url: found,
    async remove() {
      await proc.stop();
      await dir.remove();
    },
  };
}

/** utime+stime of a process in clock ticks, and its RSS in bytes. */
function procStats(pid: number): { cpuTicks: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuTicks, rss: rssKb * 1024 };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function control(url: string): Promise<{ ws: WebSocket; messages: ServerMessage[]; onMessage: Set<(m: ServerMessage) => void> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  const messages: ServerMessage[] = [];
  const onMessage = new Set<(m: ServerMessage) => void>();
  ws.on('message', (d) => {
    const m = serverMessageSchema.parse(JSON.parse(d.toString()));
    messages.push(m);
    for (const f of onMessage) f(m);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, onMessage }));
    ws.once('error', reject);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const env = { CAMERA_WIDTH: '1280', CAMERA_HEIGHT: '720', CAMERA_FPS: '30' };

async function benchLatency(): Promise<void> {
  const n = num('BENCH_LATENCY_CAPTURES', 200);
  const s = await startServer({ ...env, MAX_FRAMES: String(n + 10) });
  try {
    const c = await control(s.url);
    await waitFor('camera ok', async () => ((await (await fetch(`${s.url}/healthz`)).json()) as { camera: string }).camera === 'ok');
    const latencies: number[] = [];
    const rtts: number[] = [];
    for (let i = 0; i < n; i++) {
      // Baseline in the same process: a round trip that does no capture.
      const r0 = performance.now();
      await fetch(`${s.url}/healthz`).then((r) => r.arrayBuffer());
      rtts.push(performance.now() - r0);
      const added = new Promise<void>((resolve) => {
        const f = (m: ServerMessage) => {
          if (m.type === 'event' && m.name === 'frame.added') {
            c.onMessage.delete(f);
            resolve();
          }
        };
        c.onMessage.add(f);
      });
      const t0 = performance.now();
      await fetch(`${s.url}/_sim/button/capture`, { method: 'POST' });
      await added;
      latencies.push(performance.now() - t0);
      // A child's pace is far slower; also keeps presses from overlapping.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
    latencies.sort((a, b) => a - b);
    rtts.sort((a, b) => a - b);
    const frameMs = 1000 / 30;
    console.log(`capture latency (sim button → frame.added), ${n} captures, 1280x720@30, settle = 1 frame interval:`);
    console.log(
      `  p50 ${pct(latencies, 50).toFixed(1)} ms  p95 ${pct(latencies, 95).toFixed(1)} ms  max ${latencies.at(-1)?.toFixed(1)} ms` +
        `  (goal p95 ≤ ${(2 * frameMs + 20).toFixed(0)} ms; p95 = ${(pct(latencies, 95) / frameMs).toFixed(2)} frame intervals)`,
    );
    console.log(`  baseline HTTP round trip p50 ${pct(rtts, 50).toFixed(1)} ms p95 ${pct(rtts, 95).toFixed(1)} ms`);
    c.ws.terminate();
  } finally {
    await s.remove();
  }
}

async function benchLive(): Promise<void> {
  const seconds = num('BENCH_LIVE_SECONDS', 60);
  const s = await startServer(env);
  try {
    const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}/live`);
    let frames = 0;
    let bytes = 0;
    ws.on('message', (d: Buffer) => {
      frames++;
      bytes += d.length;
    });
    await new Promise((r) => ws.once('open', r));
    await new Promise((r) => setTimeout(r, 2000)); // warm up
    const pid = s.proc.child.pid as number;
    const cams = childPids(pid);
    const before = procStats(pid);
    const camBefore = cams.map((p) => procStats(p).cpuTicks).reduce((a, b) => a + b, 0);
    const f0 = frames;
    const b0 = bytes;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    const after = procStats(pid);
    const camAfter = cams.map((p) => procStats(p).cpuTicks).reduce((a, b) => a + b, 0);
    const fps = (frames - f0) / elapsed;
    const serverCpu = ((after.cpuTicks - before.cpuTicks) / TICKS / elapsed) * 100;
    const camCpu = ((camAfter - camBefore) / TICKS / elapsed) * 100;
    console.log(`live view, one client, ${elapsed.toFixed(0)} s at 1280x720@30:`);
    console.log(
      `  ${fps.toFixed(1)} frames/s (${((fps / 30) * 100).toFixed(0)} % of the camera's rate), ${mb((bytes - b0) / elapsed)} MB/s;` +
        ` server CPU ${serverCpu.toFixed(1)} % of one core (goal ≤ 10 %); test camera (ffmpeg) ${camCpu.toFixed(1)} %`,
    );
    ws.terminate();
  } finally {
    await s.remove();
  }
}

async function benchMemory(): Promise<void> {
  const total = num('BENCH_CAPTURES', 10_000);
  const perMovie = 100;
  // Small frames at a high rate so thousands of captures take minutes, not hours;
  // what is measured is the server's bookkeeping, not frame size.
  const s = await startServer({
    CAMERA_WIDTH: '320',
    CAMERA_HEIGHT: '240',
    CAMERA_FPS: '60',
    CAPTURE_SETTLE_MS: '0',
    MAX_FRAMES: String(perMovie),
  });
  try {
    const c = await control(s.url);
    await waitFor('camera ok', async () => ((await (await fetch(`${s.url}/healthz`)).json()) as { camera: string }).camera === 'ok');
    const pid = s.proc.child.pid as number;
    let nextId = 1;
    const request = (method: string, params?: unknown) =>
      new Promise<ServerMessage>((resolve) => {
        const id = nextId++;
        const f = (m: ServerMessage) => {
          if (m.type === 'reply' && m.id === id) {
            c.onMessage.delete(f);
            resolve(m);
          }
        };
        c.onMessage.add(f);
        c.ws.send(JSON.stringify({ type: 'request', id, method, params }));
      });
    let rssAt100 = 0;
    const t0 = performance.now();
    for (let i = 1; i <= total; i++) {
      const r = await request('movie.capture', {});
      if (r.type !== 'reply' || !r.ok) throw new Error(`capture ${i} failed: ${JSON.stringify(r)}`);
      if (i % perMovie === 0) await request('movie.finish', { publish: 'public' });
      if (i === 100) {
        c.messages.length = 0;
        rssAt100 = procStats(pid).rss;
      }
      if (i % 1000 === 0) c.messages.length = 0;
    }
    const rssEnd = procStats(pid).rss;
    const secs = (performance.now() - t0) / 1000;
    console.log(`memory, ${total} captures in ${total / perMovie} movies of ${perMovie} (320x240@60, ${secs.toFixed(0)} s):`);
    console.log(
      `  server RSS after 100: ${mb(rssAt100)} MB, after ${total}: ${mb(rssEnd)} MB, growth ${mb(rssEnd - rssAt100)} MB (goal ≤ 20 MB)`,
    );
    c.ws.terminate();
  } finally {
    await s.remove();
  }
}

/** CPU time of this process's waited-for children, in ms (cutime + cstime of /proc/self/stat). */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS;
}

async function benchThumbs(): Promise<void> {
  const n = num('BENCH_THUMBS', 50);
  const dir = await tempDir('bench-thumbs');
  try {
    for (const [w, h] of [
      [640, 360],
      [1280, 720],
      [1920, 1080],
    ] as const) {
      const src = path.join(dir.path, `${w}x${h}.jpg`);
      const made = spawnSync('ffmpeg', [
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=s=${w}x${h}`,
        '-frames:v',
        '1',
        '-q:v',
        '3',
        '-y',
        src,
      ]);
      if (made.status !== 0) throw new Error(made.stderr.toString());
      // The arguments the station ran per thumbnail before (without its nice 10).
      const ffmpegArgs = [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        src,
        '-vf',
        'scale=240:-2',
        '-frames:v',
        '1',
        '-q:v',
        '6',
        '-f',
        'mjpeg',
        'pipe:1',
      ];
      const c0 = childCpuMs();
      let t0 = performance.now();
      for (let i = 0; i < n; i++) if (spawnSync('ffmpeg', ffmpegArgs).status !== 0) throw new Error('ffmpeg thumbnail failed');
      const ffWall = (performance.now() - t0) / n;
      const ffCpu = (childCpuMs() - c0) / n;
      await makeThumbnail(src, 240); // loads libvips' JPEG code once
      const u0 = process.cpuUsage();
      t0 = performance.now();
      for (let i = 0; i < n; i++) await makeThumbnail(src, 240);
      const vipsWall = (performance.now() - t0) / n;
      const u = process.cpuUsage(u0);
      const vipsCpu = (u.user + u.system) / 1000 / n;
      console.log(
        `thumbnail of a ${w}x${h} frame, ${n} each: libvips ${vipsWall.toFixed(1)} ms wall, ${vipsCpu.toFixed(1)} ms CPU; ` +
          `ffmpeg process ${ffWall.toFixed(1)} ms wall, ${ffCpu.toFixed(1)} ms CPU (libvips/ffmpeg CPU ${(vipsCpu / ffCpu).toFixed(2)})`,
      );
    }
  } finally {
    await dir.remove();
  }
}

const only = process.argv[2];
console.log(
  `station-server benchmarks (${new Date().toISOString()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
);
if (!only || only === 'latency') await benchLatency();
if (!only || only === 'live') await benchLive();
if (!only || only === 'memory') await benchMemory();
if (!only || only === 'thumbs') await benchThumbs();
process.exit(0);
