// Checks a tracks folder the way the station loads it; provisioning runs it before a
// folder replaces the tracks on a station or the processing unit.
//   node station-server/dist/src/tracks-check.js DIR
import { TRACKS_FILE } from '@stop-motion/protocol';
import { checkTracksFolder } from './tracks.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: tracks-check DIR\n');
  process.exit(2);
}
const r = await checkTracksFolder(dir);
if (!r.ok) {
  process.stderr.write(`${dir}/${TRACKS_FILE}: ${r.reason}\n`);
  process.exitCode = 1;
} else if (r.missing.length > 0) {
  for (const m of r.missing) process.stderr.write(`${dir}: track ${m.track}: ${m.files.join(', ')} missing or empty\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`${r.tracks.length} tracks: ${r.tracks.map((t) => `${t.id} (${t.mood})`).join(', ')}\n`);
}
