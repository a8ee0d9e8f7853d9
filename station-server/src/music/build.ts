// `npm run tracks -w @stop-motion/station-server`: renders the default soundtracks
// when they are missing or out of date (bootstrap runs it before the demo and tests).
import { buildDefaultTracks, DEFAULT_TRACKS_DIR, ensureDefaultTracks } from './render.js';

const force = process.argv.includes('--force');
const outArg = process.argv.find((a) => a.startsWith('--out='));
const outDir = outArg ? outArg.slice('--out='.length) : DEFAULT_TRACKS_DIR;
try {
  const dir = force ? await buildDefaultTracks({ outDir }) : await ensureDefaultTracks({ outDir });
  process.stdout.write(`${dir}\n`);
} catch (err) {
  process.stderr.write(`tracks: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
