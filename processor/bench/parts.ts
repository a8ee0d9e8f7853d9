/**
 * Which parts of `npm run bench` run: BENCH_PARTS=render,respawn,playback,burst,pinned
 * (comma separated; unset = all). `pinned` repeats playback and burst with the processor
 * (and the mpv it starts) on one core, as a stand-in for a small processing unit.
 */
export const BENCH_PARTS = ['render', 'respawn', 'playback', 'burst', 'pinned'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export function benchParts(env: NodeJS.ProcessEnv = process.env): Set<BenchPart> {
  const raw = env.BENCH_PARTS?.trim();
  if (!raw) return new Set(BENCH_PARTS);
  const asked = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = asked.filter((p) => !(BENCH_PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    console.error(`BENCH_PARTS: unknown part(s) ${unknown.join(', ')}; known: ${BENCH_PARTS.join(', ')}`);
    process.exit(2);
  }
  return new Set(asked as BenchPart[]);
}
