import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPowerDisk, type ManagedProcess, type PowerDisk, powerCutSupport, spawnManaged, waitFor } from '@stop-motion/e2e';
import { checkFrameSequence, DONE_FILE, MANIFEST_FILE, PUBLISH_FILE, parseManifest } from '@stop-motion/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, sha } from './helpers.js';

const support = await powerCutSupport();
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const mainTs = path.join(repoRoot, 'station-server/src/main.ts');

interface Frame {
  file: string;
  /** `frame.hash` as acknowledged: the first 16 hex digits of the sha256. */
  hash: string;
}

/** main.ts as systemd runs it, on the power-cut disk. */
async function startStation(dataDir: string): Promise<{ proc: ManagedProcess; client: ControlClient }> {
  let url: string | undefined;
  const proc = spawnManaged({
    name: 'station',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', mainTs],
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      STATION_ID: 'power-cut',
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
    timeoutMs: 60_000,
    failIf: () => (proc.running() ? undefined : `exited: ${proc.output()}`),
  });
  return { proc, client: await ControlClient.connect(found) };
}

/** Every frame file is a whole JPEG: SOI at the start, EOI at the end, and ffmpeg decodes it cleanly. */
async function expectCompleteJpegs(dir: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const data = await readFile(path.join(dir, file));
    expect(data.length, `${file} is empty`).toBeGreaterThan(4);
    expect(data.subarray(0, 2).toString('hex'), `${file} starts with SOI`).toBe('ffd8');
    expect(data.subarray(-2).toString('hex'), `${file} ends with EOI (FFD9)`).toBe('ffd9');
    const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', path.join(dir, file), '-f', 'null', '-']);
    expect(r.status, `${file}: ${r.stderr.toString()}`).toBe(0);
    expect(r.stderr.toString(), `${file} decodes without errors`).toBe('');
  }
}

/** The frames on disk, in order, with the short hash the station acknowledges. */
async function diskFrames(dir: string): Promise<Frame[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && n.endsWith('.jpg'));
  const seq = checkFrameSequence(names);
  if (!seq.ok) throw new Error(`frames in ${dir} are not contiguous: ${seq.reason} (${names.join(', ')})`);
  const out: Frame[] = [];
  for (const file of seq.frames) out.push({ file, hash: sha(await readFile(path.join(dir, file))).slice(0, 16) });
  return out;
}

describe.skipIf(!support.ok)(`station power cut${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  let disk: PowerDisk | undefined;
  let proc: ManagedProcess | undefined;
  afterEach(async () => {
    await proc?.kill();
    await disk?.close();
  });

  it('after each power cut a new station shows every acknowledged frame and package, complete, and the movie resumes', {
    timeout: 300_000,
  }, async () => {
    disk = await createPowerDisk('station');
    const dataDir = path.join(disk.mountPoint, 'station');
    let client: ControlClient;
    ({ proc, client } = await startStation(dataDir));
    const movieId = client.snapshot().movie.id;
    const acked: Frame[] = [];

    const capture = async () => {
      const r = await client.request('movie.capture');
      if (!r.ok) throw new Error(`capture refused: ${JSON.stringify(r.error)}`);
      const data = r.data as { frame: Frame; frameCount: number };
      acked.push({ file: data.frame.file, hash: data.frame.hash });
      return data;
    };

    /** SIGKILL, power gone with it, boot from what the disk kept, start a new station on it. */
    const powerCut = async () => {
      client.close();
      await proc?.kill();
      const cut = await disk?.cutPower();
      // Anything else holding the disk (a child of the station) goes down with the power too.
      if (cut?.stopped.length) console.log(`power cut also stopped: ${cut.stopped.map((h) => h.comm).join(', ')}`);
      ({ proc, client } = await startStation(dataDir));
    };

    const expectMovie = async (id: string, frames: readonly Frame[], why: string) => {
      const state = client.snapshot();
      expect(state.movie.id, why).toBe(id);
      const dir = path.join(dataDir, 'current', id);
      const onDisk = await diskFrames(dir);
      expect(onDisk, `${why}: frames on disk`).toEqual(frames);
      expect(state.movie.frames, `${why}: frames the station shows`).toEqual(frames);
      await expectCompleteJpegs(
        dir,
        frames.map((f) => f.file),
      );
    };

    // 1. Captures, then the power goes right after the last acknowledgement.
    for (let i = 0; i < 6; i++) await capture();
    await powerCut();
    await expectMovie(movieId, acked, 'after captures');

    // 2. An acknowledged undo stays undone.
    const undo = await client.request('movie.undo');
    expect(undo.ok, JSON.stringify(undo)).toBe(true);
    acked.pop();
    await powerCut();
    await expectMovie(movieId, acked, 'after an undo');

    // 3. The movie resumes where it stopped, and an acknowledged finish is a complete package.
    const resumed = await capture();
    expect(resumed.frameCount).toBe(acked.length);
    expect(resumed.frame.file).toBe(`${String(acked.length - 1).padStart(4, '0')}.jpg`);
    await capture();
    const finished = [...acked];
    const startedBefore = client.events('movie.started').length;
    const fin = await client.request('movie.finish', { publish: 'public', title: 'Power cut' });
    if (!fin.ok) throw new Error(`finish refused: ${JSON.stringify(fin.error)}`);
    expect((fin.data as { movieId: string }).movieId).toBe(movieId);
    // The next movie is announced with the finish; it is the one the station has after the cut.
    const announced = (await client.waitEvent('movie.started', startedBefore)).data.movie.id;
    await powerCut();
    const pkg = path.join(dataDir, 'outbox', movieId);
    const names = await readdir(pkg);
    expect(names).toEqual(expect.arrayContaining([DONE_FILE, MANIFEST_FILE, PUBLISH_FILE]));
    const manifest = parseManifest(await readFile(path.join(pkg, MANIFEST_FILE), 'utf8'), movieId);
    if (!manifest.ok) throw new Error(`manifest after the power cut: ${manifest.reason}`);
    expect(manifest.value.title).toBe('Power cut');
    expect(manifest.value.frames.map((f) => ({ file: f.file, hash: f.sha256.slice(0, 16) }))).toEqual(finished);
    expect(await diskFrames(pkg)).toEqual(finished);
    for (const f of manifest.value.frames) expect(sha(await readFile(path.join(pkg, f.file))), f.file).toBe(f.sha256);
    await expectCompleteJpegs(
      pkg,
      finished.map((f) => f.file),
    );
    const state = client.snapshot();
    expect(state.movie.id).not.toBe(movieId);
    expect(state.movie.id, 'the movie announced after the finish').toBe(announced);
    expect(state.recent.map((r) => r.id)).toContain(movieId);
    expect((await readdir(path.join(dataDir, 'current'))).filter((n) => !n.startsWith('.'))).toEqual([state.movie.id]);

    // 4. The next movie keeps its frames through another cut, and goes on from there.
    acked.length = 0;
    const next = state.movie.id;
    for (let i = 0; i < 3; i++) await capture();
    await powerCut();
    await expectMovie(next, acked, 'the next movie');
    const more = await capture();
    expect(more).toMatchObject({ frameCount: 4, frame: { file: '0003.jpg' } });
    expect(client.snapshot().movie.id).toBe(next);
    console.log(`station power cut: ${disk.cuts} cuts, ${finished.length} frames in the package, ${acked.length} in the next movie`);
  });
});
