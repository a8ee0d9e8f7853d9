// `npm run demo`: the whole festival on this machine, with stable URLs and its data
// in ./data/demo so that a restart picks up where it left off.
import path from 'node:path';
import { checkDemoHost, lanAddresses } from './demo-host.js';
import { startFestival } from './festival.js';
import { repoRoot } from './services.js';

const host = checkDemoHost(process.env.DEMO_HOST);
if (!host.ok) {
  console.error(host.message);
  process.exit(2);
}

const hasDisplay = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const dataDir = process.env.DEMO_DATA_DIR ?? path.join(repoRoot, 'data', 'demo');
const verbose = process.argv.includes('--verbose');

console.log('Starting the festival… (data in %s)', path.relative(process.cwd(), dataDir) || '.');
const festival = await startFestival({
  dataDir,
  stations: 2,
  player: hasDisplay ? 'mpv' : 'none',
  redis: 'auto',
  ports: { station: 8751, processor: 8760, gallery: 8770, s3: 8780, redis: 8790 },
  publicHost: host.host,
  control: true,
  // The project's own soundtracks, rendered by bootstrap (npm run demo runs it first).
  tracksDir: path.join(repoRoot, 'station-server', 'dist', 'default-tracks'),
  // On a desk the big screen is a window beside the stations, not the whole display.
  extraEnv: { processor: { MPV_FULLSCREEN: 'false' } },
  ...(verbose ? { onLine: (label: string, line: string) => console.log(`[${label}] ${line}`) } : {}),
});

const rows: Array<[string, string]> = [
  ...festival.stations.map((s, i): [string, string] => [`Station ${i + 1}`, `${s.url}/`]),
  ['Gallery', `${festival.gallery.url}/`],
  ['Gallery moderation', `${festival.gallery.url}/admin  (token: ${festival.adminToken})`],
  ['Processor status (big screen)', `${festival.processor.url}/  (JSON: /status)`],
  ['Control room', `${festival.processor.url}/control?token=${festival.controlToken}`],
  ['S3 (s3rver)', `${festival.s3.endpoint}  bucket ${festival.s3.bucket}`],
  ['Cache', festival.redis ? `redis-server ${festival.redis.url}` : 'in-process (no redis-server could be started)'],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log('\nThe festival is running. Open:\n');
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
console.log(
  `\nAt a station press Space to take a picture, Backspace to undo, 0 to play, "." to finish.` +
    `\nThe big screen ${hasDisplay ? 'plays in an mpv window' : 'is off (no display found); its playlist is on the status page'}.` +
    '\nCtrl-C stops everything.\n',
);
if (host.host.startsWith('127.') || host.host === '::1') {
  const lan = lanAddresses();
  console.log(
    lan.length > 0
      ? `The QR codes point at ${host.host}, which phones cannot open. For phones on this network: DEMO_HOST=${lan[0]} npm run demo\n`
      : `The QR codes point at ${host.host}; phones need this machine on their network and DEMO_HOST=<its address>.\n`,
  );
} else {
  console.log(`Phones on this network open the QR codes at ${festival.gallery.url}/\n`);
}

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the festival…`);
  await festival.stop();
  console.log('Stopped. Data kept in %s', dataDir);
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
