// The tables the big-screen benchmarks print (pasted into the README as they are).
import type { BurstResult } from './burst.js';
import type { PlaybackRow } from './playback.js';
import { type Counts, FPS, f1 } from './rig.js';

const per1000 = (c: Counts, seconds: number) => f1(((c['frame-drop-count'] + c['decoder-frame-drop-count']) / (seconds * FPS)) * 1000);

/** One row per setting and N: drops while rendering beside that setting's own idle baseline. */
export function printPlaybackTable(rows: readonly PlaybackRow[]): void {
  console.log(
    '\n| settings | N films | rendering s | dropped (vo) | dropped (decoder) | delayed | dropped per 1000 frames | idle baseline: dropped / delayed per 1000 | mpv CPU % | load | films lost |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const delayedIdle = f1((r.base['vo-delayed-frame-count'] / (r.baseSeconds * FPS)) * 1000);
    console.log(
      `| ${r.isDefault ? `**${r.label} (default)**` : r.label} | ${r.n} | ${f1(r.loadSeconds)} | ${r.load['frame-drop-count']} | ${r.load['decoder-frame-drop-count']} | ${r.load['vo-delayed-frame-count']} | ${per1000(r.load, r.loadSeconds)} | ${per1000(r.base, r.baseSeconds)} / ${delayedIdle} | ${Math.round(r.mpvCpu * 100)} | ${r.loadAvg} | ${r.lost} |`,
    );
  }
  console.log('goal: 0 dropped frames at the default settings; a setting is judged against its own idle baseline (same run, same load)');
}

export function printBurstTable(rows: ReadonlyArray<[string, BurstResult]>): void {
  if (rows.length === 0) return;
  console.log('\n| processor on | stations | finish → queued, worst s | finish → gallery, worst s | premieres in finish order |');
  console.log('|---|---|---|---|---|');
  for (const [label, r] of rows)
    console.log(`| ${label} | ${r.stations} | ${f1(r.queuedMax)} | ${f1(r.galleryMax)} | ${r.inOrder ? 'yes' : 'no'} |`);
  console.log('goals: last queued ≤ 60 s after its finish, gallery complete ≤ 90 s, premieres in finish order');
}
