/**
 * Render benchmark, printed, never asserted. For 100 and 300 photo-like frames at
 * 1280×720 and 1920×1080, side by side in one run:
 *   (a) the processor's render (a real processor child, with S3 and mpv --vo=null): title card,
 *       film, poster and preview in its one ffmpeg pass,
 *   (s) the same package with a soundtrack (measuring pass + the mix in the one pass),
 *   (b) the bare encode of the same frames with the same encoder settings, no title, no poster,
 *       no preview, no sound,
 *   (c) with BENCH_THREE_STEP=1: the original three-step pipeline with ffmpeg defaults.
 * Each as wall time (the processor's renderMs) and as the CPU time of the ffmpeg processes, which
 * a loaded machine disturbs far less. Also DONE → queued on mpv, DONE → meta.json in S3, and
 * peak RSS of the processor and ffmpeg.
 *
 *   npm run bench -w @stop-motion/processor            (all four sizes)
 *   BENCH_QUICK=1 …        (100 frames at 720p and 1080p)
 *   BENCH_ROUNDS=3 …       (interleaved rounds; the best of each is reported)
 *   BENCH_THREADS=2 …      (RENDER_THREADS for (a), (s) and (b); default: half the cores)
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { MpvClient, startS3, tempDir, waitFor } from '@stop-motion/e2e';
import { frameFileName, movieKeys } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';
import { defaultRenderThreads } from '../src/config.js';
import { runTool } from '../src/ffmpeg.js';
import { getStatus, startProcessorChild } from '../test/child.js';
import { benchParts } from './parts.js';

const execFileP = promisify(execFile);
const ulid = monotonicFactory();
const FPS = 10;
const TITLE_SECONDS = 4;
const PRESET = 'veryfast';
const CRF = 20;
const THREADS = Number(process.env.BENCH_THREADS ?? defaultRenderThreads());
const NICE = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

const THREE_STEP = Boolean(process.env.BENCH_THREE_STEP);
const configs: Array<{ frames: number; width: number; height: number }> = process.env.BENCH_QUICK
  ? [
      { frames: 100, width: 1280, height: 720 },
      { frames: 100, width: 1920, height: 1080 },
    ]
  : [
      { frames: 100, width: 1280, height: 720 },
      { frames: 300, width: 1280, height: 720 },
      { frames: 100, width: 1920, height: 1080 },
      { frames: 300, width: 1920, height: 1080 },
    ];

/** Photo-like frames (a zooming fractal with sensor-like noise and a stamped number), cached between runs. */
async function frames(count: number, width: number, height: number): Promise<string> {
  const dir = path.join(os.tmpdir(), `sms-bench-frames-${width}x${height}-${count}`);
  if (existsSync(path.join(dir, frameFileName(count - 1)))) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  process.stdout.write(`  making ${count} frames at ${width}×${height}…\n`);
  await execFileP('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `mandelbrot=s=${width}x${height}:r=${FPS}:end_scale=0.02:maxiter=96`,
    '-vf',
    `noise=alls=8:allf=t+u,drawtext=fontfile=${FONT}:text='%{n}':fontsize=${Math.round(height / 10)}:fontcolor=white:x=30:y=30`,
    '-frames:v',
    String(count),
    '-q:v',
    '3',
    '-start_number',
    '0',
    path.join(dir, '%04d.jpg'),
  ]);
  return dir;
}

/** Peak RSS (VmHWM) in MB of a pid, or 0 when it is gone. */
async function peakRssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function childPids(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const out: number[] = [];
    for (const t of tasks) {
      const text = await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '');
      out.push(...text.split(/\s+/).filter(Boolean).map(Number));
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * CPU seconds of a process's reaped children (cutime + cstime in /proc/<pid>/stat): ffmpeg's
 * cost without the waiting a loaded machine adds, so the ratios hold beside other work.
 */
async function childCpuSeconds(pid: number | 'self'): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const letterbox = (w: number, h: number) =>
  `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p`;

async function bare(dir: string, out: string, w: number, h: number): Promise<number> {
  return timed(() =>
    runTool(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-y',
        '-loglevel',
        'error',
        '-framerate',
        String(FPS),
        '-start_number',
        '0',
        '-i',
        path.join(dir, '%04d.jpg'),
        '-vf',
        letterbox(w, h),
        '-c:v',
        'libx264',
        '-profile:v',
        'high',
        '-preset',
        PRESET,
        '-crf',
        String(CRF),
        '-pix_fmt',
        'yuv420p',
        '-threads',
        String(THREADS),
        '-movflags',
        '+faststart',
        '-an',
        out,
      ],
      { timeoutMs: 1_800_000, nice: NICE },
    ),
  );
}

async function threeStep(dir: string, work: string, w: number, h: number): Promise<number> {
  const title = path.join(work, 'title.mp4');
  const film = path.join(work, 'frames.mp4');
  const list = path.join(work, 'list.txt');
  const text = path.join(work, 'title.txt');
  await writeFile(text, 'Stop Motion Festival');
  await writeFile(list, `file '${title}'\nfile '${film}'\n`);
  const q = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  return timed(async () => {
    await runTool(
      'ffmpeg',
      [
        ...q,
        '-f',
        'lavfi',
        '-i',
        `color=c=black:s=${w}x${h}:r=${FPS}:d=${TITLE_SECONDS}`,
        '-vf',
        `drawtext=fontfile=${FONT}:textfile=${text}:fontsize=60:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2`,
        title,
      ],
      { timeoutMs: 1_800_000, nice: NICE },
    );
    await runTool('ffmpeg', [...q, '-framerate', String(FPS), '-start_number', '0', '-i', path.join(dir, '%04d.jpg'), film], {
      timeoutMs: 1_800_000,
      nice: NICE,
    });
    await runTool('ffmpeg', [...q, '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', path.join(work, 'out.mp4')], {
      timeoutMs: 1_800_000,
      nice: NICE,
    });
  });
}

async function deliver(
  inbox: string,
  source: string,
  count: number,
  w: number,
  h: number,
  soundtrack?: string,
): Promise<{ id: string; doneAt: number }> {
  const id = ulid();
  const staging = path.join(path.dirname(inbox), `.bench-${id}`);
  await cp(source, staging, { recursive: true });
  const names = Array.from({ length: count }, (_, i) => frameFileName(i));
  const now = new Date().toISOString();
  const manifest = {
    format: 'stop-motion-package',
    version: 1,
    id,
    stationId: 'bench',
    createdAt: now,
    finishedAt: now,
    fps: FPS,
    width: w,
    height: h,
    publish: 'public',
    title: 'Benchmark · בדיקה · اختبار',
    ...(soundtrack ? { soundtrack } : {}),
    frames: await Promise.all(
      names.map(async (file) => ({
        file,
        sha256: createHash('sha256')
          .update(await readFile(path.join(staging, file)))
          .digest('hex'),
      })),
    ),
  };
  await writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(path.join(staging, 'PUBLISH'), '');
  await rename(staging, path.join(inbox, id));
  const doneAt = performance.now();
  await writeFile(path.join(inbox, id, 'DONE'), '');
  return { id, doneAt };
}

/** A 40 s music-like track (chords over a beat and noise) in a tracks folder, as the event's tracks.json names it. */
async function makeTracks(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await execFileP('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=262:sample_rate=44100:duration=40'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=44100:duration=40'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=392:sample_rate=44100:duration=40'],
    ...['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.1:sample_rate=44100:duration=40'],
    '-filter_complex',
    '[0:a][1:a][2:a][3:a]amix=inputs=4,tremolo=f=2:d=0.6,volume=0.5,aformat=channel_layouts=stereo',
    ...['-c:a', 'libvorbis', '-q:a', '4', path.join(dir, 'bench.ogg')],
  ]);
  const tracks = {
    version: 1,
    tracks: [{ id: 'bench', mood: 'happy', title: 'Bench', author: 'Stop Motion Stations', licence: 'CC0-1.0', file: 'bench.ogg' }],
  };
  await writeFile(path.join(dir, 'tracks.json'), JSON.stringify(tracks));
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  console.log(
    `processor render benchmark — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map(f2).join(' ')}`,
  );
  console.log(
    `settings: preset ${PRESET}, crf ${CRF}, threads ${THREADS}, nice ${NICE} for all; title ${TITLE_SECONDS} s; fps ${FPS}; encoder ${process.env.BENCH_ENCODER ?? 'auto'}\n`,
  );
  const s3 = await startS3();
  const dir = await tempDir('bench');
  const inbox = path.join(dir.path, 'inbox');
  const dataDir = path.join(dir.path, 'data');
  const tracksDir = path.join(dir.path, 'tracks');
  await makeTracks(tracksDir);
  const mpvAvailable = await execFileP('mpv', ['--version']).then(
    () => true,
    () => false,
  );
  const child = await startProcessorChild({
    ...s3.env(),
    PROCESSOR_INBOX: inbox,
    PROCESSOR_DATA_DIR: dataDir,
    PLAYER: mpvAvailable ? 'mpv' : 'none',
    MPV_FULLSCREEN: 'false',
    MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
    TITLE_SECONDS: String(TITLE_SECONDS),
    RENDER_THREADS: String(THREADS),
    RENDER_ENCODER: process.env.BENCH_ENCODER ?? 'auto',
    TRACKS_DIR: tracksDir,
    LOG_LEVEL: 'info',
  });
  const processorPid = child.proc.child.pid as number;
  const mpv = mpvAvailable ? await MpvClient.connect(path.join(dataDir, 'mpv.sock')) : null;
  const rows: string[] = [];
  let ffmpegPeak = 0;

  /** One package through the real processor: its renderMs, DONE → queued, DONE → meta.json, ffmpeg's peak RSS. */
  const processorRender = async (src: string, c: { frames: number; width: number; height: number }, soundtrack?: string) => {
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const pid of await childPids(processorPid)) {
          const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
          if (cmd.startsWith('ffmpeg')) peak = Math.max(peak, await peakRssMb(pid));
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const cpuBefore = await childCpuSeconds(processorPid);
    const { id, doneAt } = await deliver(inbox, src, c.frames, c.width, c.height, soundtrack);
    const film = path.join(dataDir, 'films', id, 'movie.mp4');
    const queuedAt = await waitFor(
      'the film on the big screen playlist',
      async () => {
        const listed = mpv ? (await mpv.playlist()).some((e) => e.filename === film) : (await getStatus(child.url)).playlist.includes(id);
        return listed ? performance.now() : undefined;
      },
      { timeoutMs: 1_800_000, intervalMs: 10 },
    );
    const metaAt = await waitFor(
      'meta.json in S3',
      async () => {
        await s3.client().send(new HeadObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }));
        return performance.now();
      },
      { timeoutMs: 1_800_000, intervalMs: 20 },
    );
    sampling = false;
    await sampler;
    const cpu = (await childCpuSeconds(processorPid)) - cpuBefore;
    const job = (await (await fetch(`${child.url}/status`)).json()) as { jobs: Array<{ id: string; renderMs: number }> };
    const ms = job.jobs.find((j) => j.id === id)?.renderMs ?? Number.NaN;
    return { ms, cpu, queued: queuedAt - doneAt, meta: metaAt - doneAt, peak };
  };

  try {
    // Warm-up: the encoder probe (RENDER_ENCODER=auto) runs once per process, before the first film.
    const warm = await frames(10, 320, 240);
    await processorRender(warm, { frames: 10, width: 320, height: 240 }, 'bench');
    for (const c of configs) {
      const label = `${c.frames} × ${c.width}×${c.height}`;
      console.log(`${label}`);
      const src = await frames(c.frames, c.width, c.height);
      const work = path.join(dir.path, `work-${c.width}-${c.frames}`);
      await mkdir(work, { recursive: true });
      // Interleaved rounds, best of each: the machine may be shared, and the minimum is the
      // run least disturbed by others.
      const runs: Array<{
        a: number;
        s: number;
        b: number;
        c: number;
        aCpu: number;
        sCpu: number;
        bCpu: number;
        queued: number;
        meta: number;
        peak: number;
      }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const cpuBefore = await childCpuSeconds('self');
        const b = await bare(src, path.join(work, 'bare.mp4'), c.width, c.height);
        const bCpu = (await childCpuSeconds('self')) - cpuBefore;
        const cc = THREE_STEP ? await threeStep(src, work, c.width, c.height) : Number.NaN;
        const silent = await processorRender(src, c);
        const sound = await processorRender(src, c, 'bench');
        const peak = Math.max(silent.peak, sound.peak);
        runs.push({
          a: silent.ms,
          s: sound.ms,
          b,
          c: cc,
          aCpu: silent.cpu,
          sCpu: sound.cpu,
          bCpu,
          queued: silent.queued,
          meta: silent.meta,
          peak,
        });
        console.log(
          `  round ${round + 1}: (a) ${f1(silent.ms / 1000)} s  (s) ${f1(sound.ms / 1000)} s  (b) ${f1(b / 1000)} s${THREE_STEP ? `  (c) ${f1(cc / 1000)} s` : ''}  a/b ${f2(silent.ms / b)}  s/a ${f2(sound.ms / silent.ms)}  cpu (a) ${f1(silent.cpu)} (s) ${f1(sound.cpu)} (b) ${f1(bCpu)} s  DONE→queued ${f1(silent.queued / 1000)} s  DONE→meta ${f1(silent.meta / 1000)} s  ffmpeg peak ${Math.round(peak)} MB  load ${f2(os.loadavg()[0] ?? 0)}`,
        );
      }
      const min = (k: 'a' | 's' | 'b' | 'c' | 'aCpu' | 'sCpu' | 'bCpu' | 'queued' | 'meta') => Math.min(...runs.map((r) => r[k]));
      const aCpu = min('aCpu');
      const sCpu = min('sCpu');
      const bCpu = min('bCpu');
      const a = min('a');
      const sd = min('s');
      const b = min('b');
      const cc = min('c');
      const peak = Math.max(...runs.map((r) => r.peak));
      ffmpegPeak = Math.max(ffmpegPeak, peak);
      const queued = min('queued');
      const meta = min('meta');
      const line = `| ${label} | ${f1(a / 1000)} | ${f1(sd / 1000)} | ${f1(b / 1000)} | ${f2(a / b)} | ${f2(sd / a)} | ${f1(aCpu)} | ${f1(sCpu)} | ${f1(bCpu)} | ${f2(aCpu / bCpu)} | ${f2(sCpu / aCpu)} |${THREE_STEP ? ` ${f1(cc / 1000)} | ${f2(a / cc)} |` : ''} ${f1(queued / 1000)} | ${f1(meta / 1000)} | ${Math.round(peak)} |`;
      console.log(
        `  best: (a) ${f1(a / 1000)} s  (s) ${f1(sd / 1000)} s  (b) ${f1(b / 1000)} s  a/b ${f2(a / b)}  s/a ${f2(sd / a)}  cpu a/b ${f2(aCpu / bCpu)} s/a ${f2(sCpu / aCpu)}`,
      );
      rows.push(line);
      await rm(work, { recursive: true, force: true });
    }
    const processorPeak = await peakRssMb(processorPid);
    const three = THREE_STEP ? ' (c) s | a/c |' : '';
    console.log(
      `\n| frames | (a) s | (s) s | (b) s | a/b | s/a | cpu (a) s | cpu (s) s | cpu (b) s | cpu a/b | cpu s/a |${three} DONE→queued s | DONE→meta.json s | ffmpeg peak RSS MB |`,
    );
    console.log(`|---|---|---|---|---|---|---|---|---|---|---|${THREE_STEP ? '---|---|' : ''}---|---|---|`);
    for (const r of rows) console.log(r);
    console.log(
      `\nprocessor peak RSS ${Math.round(processorPeak)} MB (goal ≤ 150); ffmpeg peak RSS ${Math.round(ffmpegPeak)} MB (goal ≤ 400 at 1080p)`,
    );
    console.log(`goals: a/b ≤ 1.05, s/a ≤ 1.15${THREE_STEP ? ', a/c ≤ 0.5' : ''}`);
  } finally {
    mpv?.close();
    await child.proc.stop();
    await s3.close();
    await dir.remove();
  }
}

if (benchParts().has('render')) await main();
