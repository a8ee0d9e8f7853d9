import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ManagedProcess, spawnManaged, type TempDir, tempDir, waitFor } from '@stop-motion/e2e/harness';

const here = path.dirname(fileURLToPath(import.meta.url));
export const uiRoot = path.resolve(here, '..');
export const repoRoot = path.resolve(uiRoot, '..');
export const distDir = path.join(uiRoot, 'dist');

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

function builtAt(): number {
  try {
    return statSync(path.join(distDir, 'index.html')).mtimeMs;
  } catch {
    return 0;
  }
}

function sourcesAt(): number {
  return Math.max(
    newestMtime(path.join(uiRoot, 'src')),
    newestMtime(path.join(uiRoot, 'index.html')),
    newestMtime(path.join(uiRoot, 'vite.config.ts')),
    newestMtime(path.join(repoRoot, 'protocol', 'src')),
  );
}

/**
 * Builds station-ui/dist once when it is missing or older than its sources. Spec
 * files run in parallel workers, so a lock directory makes the others wait.
 */
export async function ensureBuilt(): Promise<void> {
  if (builtAt() > sourcesAt()) return;
  const lock = path.join(uiRoot, '.pw-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 3 minutes belongs to a run that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) throw new Error('timed out waiting for the station-ui build lock');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (builtAt() > sourcesAt()) return;
    // The repository's one Vite (root `overrides`), or a nested copy if an install left one.
    const nested = path.join(uiRoot, 'node_modules', '.bin', 'vite');
    const vite = existsSync(nested) ? nested : path.join(repoRoot, 'node_modules', '.bin', 'vite');
    const res = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: uiRoot, encoding: 'utf8', timeout: 170_000 });
    if (res.status !== 0) throw new Error(`vite build failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Station {
  url: string;
  port: number;
  dataDir: string;
  process: ManagedProcess;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Finished packages: outbox/<id>/manifest.json, parsed. */
  outbox(): Promise<Array<{ id: string; manifest: { publish: string; frames: unknown[]; title?: string; soundtrack?: string } }>>;
}

/** A real station-server child process with the test camera and simulated buttons. */
export async function startStation(env: Record<string, string> = {}): Promise<Station> {
  await ensureBuilt();
  const port = await freePort();
  const dir: TempDir = await tempDir('station-ui');
  const url = `http://127.0.0.1:${port}`;
  const childEnv = {
    ...process.env,
    CAMERA: 'test',
    CAMERA_WIDTH: '640',
    CAMERA_HEIGHT: '360',
    CAMERA_FPS: '15',
    BUTTONS: 'sim',
    STATION_ID: 'pw',
    STATION_PORT: String(port),
    STATION_DATA_DIR: dir.path,
    STATION_UI_DIR: distDir,
    CAPTURE_LOCKOUT_MS: '0',
    SOUND: 'false',
    DESIGNER: 'false',
    LOG_LEVEL: 'warn',
    GALLERY_PUBLIC_URL: 'https://films.example.org',
    CLAIM_NEXT_GESTURE: 'finishx3',
    ...env,
  };
  const launch = async (): Promise<ManagedProcess> => {
    const child = spawnManaged({
      name: 'station-server',
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'station-server/src/main.ts')],
      cwd: repoRoot,
      env: childEnv,
      keepLines: 100,
    });
    await waitFor(
      'station-server /healthz',
      async () => {
        const res = await fetch(`${url}/healthz`);
        return res.ok;
      },
      { timeoutMs: 30_000, intervalMs: 100, failIf: () => (child.running() ? undefined : `exited:\n${child.output()}`) },
    );
    return child;
  };
  const station: Station = {
    url,
    port,
    dataDir: dir.path,
    process: await launch(),
    async kill() {
      await station.process.kill();
    },
    async restart() {
      station.process = await launch();
    },
    async stop() {
      await station.process.stop();
      await dir.remove();
    },
    async outbox() {
      const base = path.join(dir.path, 'outbox');
      const ids = await readdir(base).catch(() => [] as string[]);
      return ids.map((id) => ({ id, manifest: JSON.parse(readFileSync(path.join(base, id, 'manifest.json'), 'utf8')) }));
    },
  };
  return station;
}

export async function simPress(station: Station, action: 'capture' | 'undo' | 'play' | 'finish'): Promise<void> {
  const res = await fetch(`${station.url}/_sim/button/${action}`, { method: 'POST' });
  if (!res.ok) throw new Error(`sim press ${action}: HTTP ${res.status}`);
}
