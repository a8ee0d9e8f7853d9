/**
 * Designer mode: a station-server with the test camera and simulated buttons, and
 * the Vite dev server (hot reload) in front of it. Open the printed URL in any
 * desktop browser; edit src/shared/theme/* and see it at once.
 *
 *   npm run dev -w @stop-motion/station-ui
 *
 * STATION_DATA_DIR (default station-ui/data/dev) keeps the films between runs; any
 * other station variable (LOCALE, TITLE_ENABLED, MAX_FRAMES, …) is passed through.
 *
 * With STATION_URL (a station elsewhere, e.g. a Pi through `ssh -L 8750:127.0.0.1:8750 pi`)
 * no station is started here: the dev server forwards to that one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@stop-motion/e2e/harness';
import type { ViteDevServer } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

const external = process.env.STATION_URL?.trim().replace(/\/+$/, '') || undefined;
const stationPort = external ? 0 : Number(process.env.STATION_PORT ?? 0) || (await freePort());
const stationUrl = external ?? `http://127.0.0.1:${stationPort}`;
const dataDir = path.resolve(process.env.STATION_DATA_DIR ?? path.join(here, 'data', 'dev'));
if (!external) mkdirSync(dataDir, { recursive: true });

function startStation() {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'station-server/src/main.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      CAMERA: process.env.CAMERA ?? 'test',
      BUTTONS: process.env.BUTTONS ?? 'sim',
      DESIGNER: process.env.DESIGNER ?? 'true',
      STATION_PORT: String(stationPort),
      STATION_DATA_DIR: dataDir,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
}
const station = external ? null : startStation();

let vite: ViteDevServer | null = null;
let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await vite?.close().catch(() => undefined);
  if (station && station.exitCode === null) station.kill('SIGTERM');
  process.exitCode = code;
}
station?.on('exit', (code) => {
  if (!stopping) {
    console.error(`station-server exited (${code}); stopping`);
    void stop(1);
  }
});
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

// Wait for the station before the browser is told where to go.
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${stationUrl}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) break;
  } catch {}
  if (i > 300 || stopping) {
    console.error(external ? `no station answers at ${stationUrl}/healthz` : 'station-server did not start');
    await stop(1);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}

process.env.STATION_URL = stationUrl;
const { createServer } = await import('vite');
vite = await createServer({ configFile: path.join(here, 'vite.config.ts'), server: { port: Number(process.env.DEV_PORT ?? 5173) } });
await vite.listen();
const local = vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
console.log(`
  station UI (hot reload)  ${local}
  with the button panel    ${local}?designer=1
  station-server           ${stationUrl}  ${external ? '(STATION_URL: not started here)' : `(films in ${dataDir})`}
  simulated buttons        curl -X POST ${local}_sim/button/capture
  theme                    station-ui/src/shared/theme/{theme.ts,icons.tsx,sounds.ts}
`);
