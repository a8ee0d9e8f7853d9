// The playback part: mpv's drops while N films render beside it, each setting with its own idle baseline.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, waitFor } from '@stop-motion/e2e';
import { defaultRenderThreads } from '../../src/config.js';
import { DEFAULT_RENDER_SCHEDULING, type RenderScheduling } from '../../src/scheduling.js';
import { getStatus, type ProcessorChild, startProcessorChild } from '../../test/child.js';
import { cpuGroup } from './cgroup.js';
import {
  type Counts,
  cpuSeconds,
  DropCounter,
  f1,
  load1,
  photoFrames,
  QUICK,
  reniceAll,
  SCREEN_NICE,
  screenProcessorEnv,
  startXvfb,
  writeStationPackage,
} from './rig.js';

export interface Cell {
  scheduling: RenderScheduling;
  threads: number;
  nice: number;
  /** cgroup v1 cpu.shares of the processor's group (1024 = the default weight). */
  shares?: number;
}

export interface PlaybackRow {
  label: string;
  isDefault: boolean;
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

const DEFAULTS: Cell = { scheduling: DEFAULT_RENDER_SCHEDULING, threads: defaultRenderThreads(), nice: 10 };
const isDefault = (c: Cell) =>
  c.scheduling === DEFAULTS.scheduling && c.threads === DEFAULTS.threads && c.nice === DEFAULTS.nice && !c.shares;
const cellLabel = (c: Cell) =>
  `${c.scheduling === 'idle' ? 'SCHED_IDLE' : 'nice only'}, threads ${c.threads}, nice ${c.nice}${c.shares ? `, cpu.shares ${c.shares}` : ''}`;

const nums = (v: string | undefined, fallback: string) =>
  (v ?? fallback)
    .split(',')
    .map(Number)
    .filter((n) => n > 0);

/**
 * What is measured, in order. BENCH_N (default 1,3,10; quick 1,3) × BENCH_SCHEDULING (default
 * idle,nice) at the default threads and nice, interleaved so each N sees the same load; then
 * BENCH_CELLS ("scheduling/threads/nice[/cpu.shares]", comma separated) at N = 3. On one core
 * BENCH_PINNED_N (default 1,3,10; quick 1) × BENCH_SCHEDULING.
 */
export function playbackRuns(pinned: boolean, env: NodeJS.ProcessEnv = process.env): Array<{ cell: Cell; n: number }> {
  const threads = Number(env.BENCH_THREADS ?? DEFAULTS.threads);
  const schedulings = (env.BENCH_SCHEDULING ?? 'idle,nice').split(',').filter((s): s is RenderScheduling => s === 'idle' || s === 'nice');
  const ns = pinned ? nums(env.BENCH_PINNED_N, QUICK ? '1' : '1,3,10') : nums(env.BENCH_N, QUICK ? '1,3' : '1,3,10');
  const runs = ns.flatMap((n) => schedulings.map((scheduling) => ({ cell: { ...DEFAULTS, threads, scheduling }, n })));
  if (pinned) return runs;
  const grid = (env.BENCH_CELLS ?? (QUICK ? '' : 'idle/2/10,nice/2/10,nice/1/19,nice/2/0,nice/1/10/128'))
    .split(',')
    .filter(Boolean)
    .map((c): Cell => {
      const [scheduling, t, nice, shares] = c.split('/');
      return {
        scheduling: scheduling === 'nice' ? 'nice' : 'idle',
        threads: Number(t) || 1,
        nice: Number(nice ?? 10),
        ...(Number(shares) > 0 ? { shares: Number(shares) } : {}),
      };
    });
  return [...runs, ...grid.map((cell) => ({ cell, n: 3 }))];
}

export async function playback(pinned: boolean): Promise<PlaybackRow[]> {
  const wrap = pinned ? ['taskset', '-c', '0'] : undefined;
  const film = QUICK ? { frames: 30, w: 1920, h: 1080 } : { frames: 60, w: 1920, h: 1080 };
  const baseSeconds = QUICK ? 10 : 15;
  const runs = playbackRuns(pinned);
  const x = await startXvfb(SCREEN_NICE);
  console.log(`  display path (Xvfb, mpv) at nice ${SCREEN_NICE} (BENCH_SCREEN_NICE)`);
  const dir = await tempDir('bench-screen');
  const inbox = path.join(dir.path, 'inbox');
  const dataDir = path.join(dir.path, 'data');
  const src = await photoFrames(film.frames, film.w, film.h);
  const rows: PlaybackRow[] = [];
  const start = (cell: Cell) =>
    startProcessorChild(
      {
        ...screenProcessorEnv(x.display, inbox, dataDir),
        RENDER_THREADS: String(cell.threads),
        RENDER_NICE: String(cell.nice),
        RENDER_SCHEDULING: cell.scheduling,
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
      const child = await start({ ...DEFAULTS, scheduling: 'nice' });
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
      await reniceAll(mpvPid, SCREEN_NICE);
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
      const scheduled = child.logs.find((l) => l.event === 'render.scheduling' || l.event === 'render.scheduling_fallback');
      if (cell.scheduling === 'idle' && scheduled?.event !== 'render.scheduling') {
        console.log(`  ${cellLabel(cell)}: the processor fell back to nice (${String(scheduled?.reason ?? 'no log line')})`);
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
        const row = {
          label: cellLabel(cell),
          isDefault: isDefault(cell),
          n,
          base,
          baseSeconds,
          load,
          loadSeconds,
          mpvCpu,
          loadAvg: load1(),
          lost,
        };
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
  return rows;
}
