// The pinned part: playback and burst again with the processor (and its mpv and ffmpegs) on one core.
import { type BurstResult, burst } from './burst.js';
import { playback } from './playback.js';
import { printPlaybackTable } from './table.js';

export async function pinned(header: string): Promise<BurstResult> {
  console.log(`\nbig screen under load, processor on one core (taskset -c 0) — ${header}`);
  printPlaybackTable(await playback(true));
  console.log(`\nburst of finishes, processor on one core (taskset -c 0) — ${header}`);
  return burst(true);
}
