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
 *   BENCH_SIZES=300@720 …  (only the sizes named, frames@height, comma-separated)
 *   BENCH_ROUNDS=3 …       (interleaved rounds, their order alternating; the best of each is
 *                           reported, and the median of each round's ratio, which the goals judge)
 *   BENCH_THREADS=2 …      (RENDER_THREADS for (a), (s) and (b); default: half the cores)
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { MpvClient, startS3, tempDir, waitFor } from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import { getStatus, startProcessorChild } from '../test/child.js';
import { benchParts } from './parts.js';
import { childCpuSeconds, childPids, peakRssMb } from './proc-stats.js';
import { bare, threeStep } from './render-baselines.js';
import { deliver, frames, makeTracks } from './render-inputs.js';
import { CRF, FPS, NICE, PRESET, THREADS, TITLE_SECONDS } from './render-settings.js';
import { median } from './stats.js';

const execFileP = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const THREE_STEP = Boolean(process.env.BENCH_THREE_STEP);
// The bench's own watching (ffmpeg's RSS, mpv's playlist, S3) runs at nice 0 beside a render at
// nice 10: polled every 10 ms it took the render's core often enough to add 20-30 % to (a)'s
// wall time on a quiet machine while ffmpeg's CPU time stayed the same. Every 100 ms it costs
// nothing measurable; the queue and meta.json times are then within 0.1 s.
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 100);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 100);
const ALL_SIZES = [
  { frames: 100, width: 1280, height: 720 },
  { frames: 300, width: 1280, height: 720 },
  { frames: 100, width: 1920, height: 1080 },
  { frames: 300, width: 1920, height: 1080 },
];
/** BENCH_SIZES=300@720,100@1080 picks sizes by frames@height; BENCH_QUICK=1 is 100@720,100@1080. */
const configs = pickSizes(process.env.BENCH_SIZES ?? (process.env.BENCH_QUICK ? '100@720,100@1080' : ''));

function pickSizes(raw: string): typeof ALL_SIZES {
  if (!raw.trim()) return ALL_SIZES;
  const picked = raw.split(',').map((want) => ALL_SIZES.find((c) => `${c.frames}@${c.height}` === want.trim()));
  if (picked.some((c) => c === undefined)) {
    console.error(`BENCH_SIZES=${raw}: each must be one of ${ALL_SIZES.map((c) => `${c.frames}@${c.height}`).join(', ')}`);
    process.exit(2);
  }
  return picked as typeof ALL_SIZES;
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
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
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
      { timeoutMs: 1_800_000, intervalMs: POLL_MS },
    );
    const metaAt = await waitFor(
      'meta.json in S3',
      async () => {
        await s3.client().send(new HeadObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }));
        return performance.now();
      },
      { timeoutMs: 1_800_000, intervalMs: POLL_MS },
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
      // run least disturbed by others; the goals are judged on the median of each round's ratio.
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
        const baseline = async () => {
          const cpuBefore = await childCpuSeconds('self');
          const ms = await bare(src, path.join(work, 'bare.mp4'), c.width, c.height);
          return { ms, cpu: (await childCpuSeconds('self')) - cpuBefore };
        };
        // (b) (a) (s) in odd rounds, (s) (a) (b) in even ones: a machine that speeds up or slows
        // down during the run then favours neither side of a ratio.
        const forward = round % 2 === 0;
        const first = forward ? await baseline() : null;
        const cc = THREE_STEP ? await threeStep(src, work, c.width, c.height) : Number.NaN;
        const soundFirst = forward ? null : await processorRender(src, c, 'bench');
        const silent = await processorRender(src, c);
        const sound = soundFirst ?? (await processorRender(src, c, 'bench'));
        const { ms: b, cpu: bCpu } = first ?? (await baseline());
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
          `  round ${round + 1}: (a) ${f1(silent.ms / 1000)} s  (s) ${f1(sound.ms / 1000)} s  (b) ${f1(b / 1000)} s${THREE_STEP ? `  (c) ${f1(cc / 1000)} s` : ''}  a/b ${f2(silent.ms / b)}  s/a ${f2(sound.ms / silent.ms)}  cpu (a) ${f1(silent.cpu)} (s) ${f1(sound.cpu)} (b) ${f1(bCpu)} s  cpu a/b ${f2(silent.cpu / bCpu)} (same round)  DONE→queued ${f1(silent.queued / 1000)} s  DONE→meta ${f1(silent.meta / 1000)} s  ffmpeg peak ${Math.round(peak)} MB  load ${f2(os.loadavg()[0] ?? 0)}`,
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
      // The ratio of each round (its three measured back to back), then the median: on a machine
      // whose speed drifts between rounds the best of each can come from different rounds.
      const ab = median(runs.map((r) => r.a / r.b));
      const sa = median(runs.map((r) => r.s / r.a));
      const line = `| ${label} | ${f1(a / 1000)} | ${f1(sd / 1000)} | ${f1(b / 1000)} | ${f2(a / b)} | ${f2(sd / a)} | **${f2(ab)}** | **${f2(sa)}** | ${f1(aCpu)} | ${f1(sCpu)} | ${f1(bCpu)} | ${f2(aCpu / bCpu)} | ${f2(sCpu / aCpu)} |${THREE_STEP ? ` ${f1(cc / 1000)} | ${f2(a / cc)} |` : ''} ${f1(queued / 1000)} | ${f1(meta / 1000)} | ${Math.round(peak)} |`;
      console.log(
        `  best: (a) ${f1(a / 1000)} s  (s) ${f1(sd / 1000)} s  (b) ${f1(b / 1000)} s  a/b ${f2(a / b)}  s/a ${f2(sd / a)}  cpu a/b ${f2(aCpu / bCpu)} s/a ${f2(sCpu / aCpu)}  a/b per round ${runs.map((r) => f2(r.a / r.b)).join(' ')}  cpu a/b per round ${runs.map((r) => f2(r.aCpu / r.bCpu)).join(' ')}  median of rounds: a/b ${f2(ab)} s/a ${f2(sa)}`,
      );
      rows.push(line);
      await rm(work, { recursive: true, force: true });
    }
    const processorPeak = await peakRssMb(processorPid);
    const three = THREE_STEP ? ' (c) s | a/c |' : '';
    console.log(
      `\n| frames | (a) s | (s) s | (b) s | a/b | s/a | a/b, median of rounds | s/a, median of rounds | cpu (a) s | cpu (s) s | cpu (b) s | cpu a/b | cpu s/a |${three} DONE→queued s | DONE→meta.json s | ffmpeg peak RSS MB |`,
    );
    console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|---|${THREE_STEP ? '---|---|' : ''}---|---|---|`);
    for (const r of rows) console.log(r);
    console.log(
      `\nprocessor peak RSS ${Math.round(processorPeak)} MB (goal ≤ 150); ffmpeg peak RSS ${Math.round(ffmpegPeak)} MB (goal ≤ 400 at 1080p)`,
    );
    console.log(`goals (the medians of rounds): a/b ≤ 1.05, s/a ≤ 1.15${THREE_STEP ? ', a/c ≤ 0.5' : ''}`);
  } finally {
    mpv?.close();
    await child.proc.stop();
    await s3.close();
    await dir.remove();
  }
}

if (benchParts().has('render')) await main();
