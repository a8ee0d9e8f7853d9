import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { checkFrameSequence, DONE_FILE, isValidId, parseManifest } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { ControlClient } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const mainTs = path.join(repoRoot, 'station-server/src/main.ts');
const ROUNDS = 30;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Acked {
  movieId: string;
  frames: Array<{ file: string; hash: string }>;
  /** An undo was in flight when the process died: the last frame may or may not be gone. */
  undoInFlight?: boolean;
}

/** Starts main.ts as a child, as systemd would, and waits for its "listening" line. */
async function startChild(dataDir: string): Promise<{ proc: ManagedProcess; url: string }> {
  let url: string | undefined;
  const proc = spawnManaged({
    name: 'station',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', mainTs],
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      STATION_ID: 'crash-test',
      STATION_PORT: '0',
      STATION_DATA_DIR: dataDir,
      CAMERA: 'test',
      CAMERA_WIDTH: '320',
      CAMERA_HEIGHT: '240',
      CAMERA_FPS: '30',
      BUTTONS: 'none',
      CAPTURE_LOCKOUT_MS: '0',
      DISK_MIN_FREE_MB: '0',
      DISK_CLEANUP_FREE_MB: '0',
      LOG_LEVEL: 'info',
    },
    onLine: (line) => {
      if (line.includes('"msg":"listening"')) url = (JSON.parse(line) as { url: string }).url;
    },
  });
  const found = await waitFor('station listening', () => url, {
    timeoutMs: 30_000,
    failIf: () => (proc.running() ? undefined : `exited: ${proc.output()}`),
  });
  return { proc, url: found };
}

async function diskFrames(dir: string): Promise<Array<{ file: string; hash: string }>> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  const seq = checkFrameSequence(names);
  if (!seq.ok) throw new Error(`frames in ${dir} are not contiguous: ${seq.reason} (${names.join(', ')})`);
  const out: Array<{ file: string; hash: string }> = [];
  for (const f of seq.frames) out.push({ file: f, hash: sha(await readFile(path.join(dir, f))) });
  return out;
}

function decodesAll(dir: string, count: number): void {
  if (count === 0) return;
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-f', 'image2', '-i', path.join(dir, '%04d.jpg'), '-f', 'null', '-']);
  expect(r.status, r.stderr.toString()).toBe(0);
  expect(r.stderr.toString(), 'ffmpeg decode errors').toBe('');
}

describe('crash safety', () => {
  it(`${ROUNDS} rounds of start → captures → SIGKILL at a random moment → restart keep every acknowledged frame`, {
    timeout: 600_000,
  }, async () => {
    const dir = await tempDir('crash');
    let child: ManagedProcess | undefined;
    try {
      const current = path.join(dir.path, 'current');
      let acked: Acked | undefined;
      /** Packages whose finish was acknowledged. */
      const finished: Acked[] = [];
      let totalAcked = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const started = await startChild(dir.path);
        child = started.proc;
        const client = await ControlClient.connect(started.url);
        const state = client.snapshot();

        // After the restart: what the UI gets is what is on disk, and holds every acknowledged frame.
        const movieDir = path.join(current, state.movie.id);
        const onDisk = await diskFrames(movieDir);
        expect(state.movie.frames.map((f) => f.file)).toEqual(onDisk.map((f) => f.file));
        expect(state.movie.frames.map((f) => f.hash)).toEqual(onDisk.map((f) => f.hash.slice(0, 16)));
        decodesAll(movieDir, onDisk.length);
        if (acked && acked.movieId === state.movie.id) {
          // An acknowledged frame is on disk with the same bytes (an unacknowledged capture may be there too).
          const required = acked.undoInFlight && onDisk.length === acked.frames.length - 1 ? acked.frames.slice(0, -1) : acked.frames;
          for (const [i, f] of required.entries()) expect(onDisk[i], `round ${round}: ${f.file}`).toEqual(f);
        } else if (acked) {
          // The movie changed without an acknowledged finish: only a finish in flight at the kill may do that,
          // and then the package is complete in the outbox.
          const pkg = path.join(dir.path, 'outbox', acked.movieId);
          expect(await readdir(pkg)).toContain(DONE_FILE);
          const manifest = parseManifest(await readFile(path.join(pkg, 'manifest.json'), 'utf8'), acked.movieId);
          expect(manifest.ok && manifest.value.frames.map((f) => ({ file: f.file, hash: f.sha256 })).slice(0, acked.frames.length)).toEqual(
            acked.frames,
          );
        }
        for (const pkg of finished) {
          const pkgDir = path.join(dir.path, 'outbox', pkg.movieId);
          const names = await readdir(pkgDir);
          expect(names).toContain(DONE_FILE);
          const manifest = parseManifest(await readFile(path.join(pkgDir, 'manifest.json'), 'utf8'), pkg.movieId);
          expect(manifest.ok).toBe(true);
          if (manifest.ok) expect(manifest.value.frames.map((f) => ({ file: f.file, hash: f.sha256 }))).toEqual(pkg.frames);
        }
        acked = { movieId: state.movie.id, frames: onDisk.map((f) => ({ ...f })) };

        // Work until killed: captures, an undo now and then, a finish rarely.
        const killAfter = 100 + Math.floor(Math.random() * 700);
        let killed = false;
        const killer = setTimeout(() => {
          killed = true;
          void started.proc.kill();
        }, killAfter);
        const model = acked;
        let finishedNow = false;
        let inFlight: 'capture' | 'undo' | 'finish' | undefined;
        try {
          while (!killed) {
            const dice = Math.random();
            if (dice < 0.12 && model.frames.length > 0) {
              inFlight = 'undo';
              const r = await client.request('movie.undo');
              inFlight = undefined;
              if (!r.ok) break;
              model.frames.pop();
            } else if (dice < 0.16 && model.frames.length > 0) {
              inFlight = 'finish';
              const r = await client.request('movie.finish', { publish: 'public' });
              inFlight = undefined;
              if (!r.ok) break;
              expect((r.data as { movieId: string }).movieId).toBe(model.movieId);
              finished.push({ movieId: model.movieId, frames: [...model.frames] });
              model.frames = [];
              finishedNow = true;
              break; // the next round starts from the fresh movie
            } else {
              inFlight = 'capture';
              const r = await client.request('movie.capture');
              inFlight = undefined;
              if (!r.ok) break;
              const data = r.data as { frame: { file: string } };
              // Acknowledged means durable: the file is there, whatever happens to the process next.
              const bytes = await readFile(path.join(current, model.movieId, data.frame.file));
              model.frames.push({ file: data.frame.file, hash: sha(bytes) });
              totalAcked++;
            }
          }
        } catch (err) {
          // The socket died with the process; whatever was acknowledged is in `model`.
          if (!/socket closed/.test((err as Error).message)) throw err;
        }
        model.undoInFlight = inFlight === 'undo';
        if (!killed) {
          clearTimeout(killer);
          await started.proc.kill();
        }
        await started.proc.exited;
        client.close();
        acked = finishedNow ? undefined : model;
      }
      // Last check after the final kill.
      const last = await startChild(dir.path);
      child = last.proc;
      const client = await ControlClient.connect(last.url);
      const state = client.snapshot();
      const onDisk = await diskFrames(path.join(current, state.movie.id));
      expect(state.movie.frames.map((f) => f.file)).toEqual(onDisk.map((f) => f.file));
      if (acked && acked.movieId === state.movie.id) {
        // As in every round: an undo in flight at the last kill may have taken the last frame.
        const required = acked.undoInFlight && onDisk.length === acked.frames.length - 1 ? acked.frames.slice(0, -1) : acked.frames;
        for (const [i, f] of required.entries()) expect(onDisk[i], `last check: ${f.file}`).toEqual(f);
      }
      expect((await readdir(current)).filter(isValidId)).toEqual([state.movie.id]);
      client.close();
      await last.proc.stop();
      expect(totalAcked).toBeGreaterThan(ROUNDS);
      console.log(`crash test: ${ROUNDS} rounds, ${totalAcked} acknowledged captures, ${finished.length} finished packages`);
    } finally {
      await child?.kill();
      await dir.remove();
    }
  });
});
