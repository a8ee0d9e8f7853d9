/**
 * The big screen under load, printed, never asserted.
 *
 * playback: the processor's own mpv plays the real playlist (1080p films it rendered) with a
 *   real video output (`--vo=x11`, full screen on a 1920×1080 Xvfb) while N films (1, 3, 10)
 *   finish at once and render; mpv's frame-drop-count, decoder-frame-drop-count and
 *   vo-delayed-frame-count are read over IPC. Each N is measured with every
 *   RENDER_SCHEDULING (SCHED_IDLE and nice only) in turn, then a grid of scheduling ×
 *   RENDER_THREADS × RENDER_NICE (and a cgroup v1 `cpu.shares`, where writable) at N = 3;
 *   each run first plays without any render, its own idle baseline.
 * burst: 10 stations finish 1 s apart; each package goes through the stations' own
 *   delivery code (rsync, files then DONE) to an rsync daemon with one module per station
 *   in the processor's inbox. Finish → queued on mpv, the premiere order read from mpv's
 *   playlist, finish → listed by the gallery (a real gallery on s3rver + redis-server).
 * pinned: both again with the processor (and the mpv and ffmpeg it starts) on one core
 *   (`taskset -c 0`), a stand-in for a small processing unit.
 *
 *   BENCH_PARTS=playback,burst,pinned npm run bench -w @stop-motion/processor
 *   BENCH_QUICK=1 …   (playback: N = 1, 3 with each scheduling, short films; burst of 3)
 *   BENCH_N, BENCH_SCHEDULING, BENCH_CELLS, BENCH_PINNED_N: see screen/playback.ts
 *
 * Modules: screen/rig.ts (frames, packages, Xvfb, mpv's counters), screen/playback.ts,
 * screen/burst.ts, screen/pinned.ts, screen/table.ts.
 */
import os from 'node:os';
import { benchParts } from './parts.js';
import { type BurstResult, burst } from './screen/burst.js';
import { pinned } from './screen/pinned.js';
import { playback } from './screen/playback.js';
import { f2 } from './screen/rig.js';
import { printBurstTable, printPlaybackTable } from './screen/table.js';

const parts = benchParts();

async function main(): Promise<void> {
  const header = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map(f2).join(' ')}`;
  const burstRows: Array<[string, BurstResult]> = [];
  if (parts.has('playback')) {
    console.log(`\nbig screen under load — ${header}`);
    printPlaybackTable(await playback(false));
  }
  if (parts.has('burst')) {
    console.log(`\nburst of finishes — ${header}`);
    burstRows.push(['all cores', await burst(false)]);
  }
  if (parts.has('pinned')) burstRows.push(['one core', await pinned(header)]);
  printBurstTable(burstRows);
}

if (parts.has('playback') || parts.has('burst') || parts.has('pinned')) await main();
