import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { apiTracksSchema, parseManifest, TRACKS_FILE } from '@stop-motion/protocol';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, startTestStation, type TestStation } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A tracks folder with real (short, synthesised) Ogg/Opus files. */
async function tracksFolder(tracks: Array<{ id: string; mood: string; preview?: boolean }>): Promise<TempDir> {
  const dir = await tempDir('tracks');
  cleanups.push(() => dir.remove());
  for (const [i, t] of tracks.entries()) {
    for (const name of t.preview === false ? [`${t.id}.opus`] : [`${t.id}.opus`, `${t.id}.preview.opus`]) {
      const r = spawnSync('ffmpeg', [
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        `sine=f=${330 + 110 * i}:d=1`,
        '-c:a',
        'libopus',
        path.join(dir.path, name),
      ]);
      expect(r.status, String(r.stderr)).toBe(0);
    }
  }
  const file = {
    version: 1,
    tracks: tracks.map((t) => ({
      id: t.id,
      mood: t.mood,
      title: `The ${t.id}`,
      author: 'Test',
      licence: 'CC0-1.0',
      file: `${t.id}.opus`,
      ...(t.preview === false ? {} : { preview: `${t.id}.preview.opus` }),
    })),
  };
  await writeFile(path.join(dir.path, TRACKS_FILE), JSON.stringify(file));
  return dir;
}

/** A station whose log lines are kept for the test to read. */
async function station(env: Record<string, string>): Promise<{ s: TestStation; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const s = await startTestStation(env, { log });
  cleanups.push(() => s.remove());
  return { s, logs };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function finishWith(s: TestStation, body: Record<string, unknown>) {
  expect((await post(`${s.url}/api/capture`, {})).status).toBe(200);
  return post(`${s.url}/api/finish`, { publish: 'public', ...body });
}

async function manifestOf(s: TestStation, movieId: string) {
  const r = parseManifest(await readFile(path.join(s.dataDir, 'outbox', movieId, 'manifest.json'), 'utf8'), movieId);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

function rawGet(base: string, urlPath: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: urlPath, headers, timeout: 10_000 }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

describe('soundtracks on the station', () => {
  it('lists the tracks and serves each preview by id, with ranges, only under its own names', async () => {
    const dir = await tracksFolder([
      { id: 'sunny', mood: 'happy' },
      { id: 'owls', mood: 'spooky', preview: false },
    ]);
    const { s } = await station({ TRACKS_DIR: dir.path });
    const list = apiTracksSchema.parse(await (await fetch(`${s.url}/api/tracks`)).json());
    expect(list.tracks).toEqual([
      { id: 'sunny', mood: 'happy', title: 'The sunny', author: 'Test', licence: 'CC0-1.0', previewUrl: '/tracks/sunny/preview' },
      { id: 'owls', mood: 'spooky', title: 'The owls', author: 'Test', licence: 'CC0-1.0', previewUrl: '/tracks/owls/preview' },
    ]);
    const preview = await fetch(`${s.url}/tracks/sunny/preview`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('audio/ogg');
    expect(Buffer.from(await preview.arrayBuffer()).equals(await readFile(path.join(dir.path, 'sunny.preview.opus')))).toBe(true);
    // Without a preview file the whole piece is played.
    const whole = await fetch(`${s.url}/tracks/owls/preview`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(await readFile(path.join(dir.path, 'owls.opus')))).toBe(true);
    const part = await fetch(`${s.url}/tracks/sunny/preview`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    // Only ids that tracks.json names reach the disk.
    for (const p of [
      '/tracks/nope/preview',
      '/tracks/..%2Ftracks.json/preview',
      '/tracks/sunny.opus/preview',
      `/tracks/${encodeURIComponent('../../etc/passwd')}/preview`,
      '/tracks/sunny',
      '/tracks/tracks.json',
    ])
      expect((await fetch(`${s.url}${p}`)).status, p).toBe(404);
    const port = new URL(s.url).port;
    for (const p of ['/api/tracks', '/tracks/sunny/preview']) {
      expect((await rawGet(s.url, p, { host: `evil.example:${port}` })).status, p).toBe(421);
      expect((await rawGet(s.url, p, { host: `localhost:${port}` })).status, p).toBe(200);
    }
  });

  it('puts the chosen soundtrack in the manifest; an unknown one is a clear 400 and finishes nothing', async () => {
    const dir = await tracksFolder([{ id: 'sunny', mood: 'happy' }]);
    const { s } = await station({ TRACKS_DIR: dir.path });
    const ok = await finishWith(s, { soundtrack: 'sunny', title: 'Boats' });
    expect(ok.status).toBe(200);
    const { movieId } = (await ok.json()) as { movieId: string };
    const manifest = await manifestOf(s, movieId);
    expect(manifest.soundtrack).toBe('sunny');
    expect(manifest.title).toBe('Boats');

    expect((await post(`${s.url}/api/capture`, {})).status).toBe(200);
    const before = s.store.movieId;
    const bad = await post(`${s.url}/api/finish`, { publish: 'public', soundtrack: 'rainy' });
    expect(bad.status).toBe(400);
    const err = ((await bad.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('bad_request');
    expect(err.message).toMatch(/unknown soundtrack "rainy".*sunny/);
    expect(s.store.movieId).toBe(before);
    expect(s.store.frameCount).toBe(1);
    expect((await post(`${s.url}/api/finish`, { publish: 'public', soundtrack: '../x' })).status).toBe(400);

    // Without one, the manifest has none (the film is silent).
    const plain = (await (await post(`${s.url}/api/finish`, { publish: 'public' })).json()) as { movieId: string };
    expect((await manifestOf(s, plain.movieId)).soundtrack).toBeUndefined();

    // The control socket's movie.finish checks the same way.
    const ws = await ControlClient.connect(s.url);
    cleanups.push(async () => ws.close());
    expect((await post(`${s.url}/api/capture`, {})).status).toBe(200);
    const refused = await ws.request('movie.finish', { publish: 'public', soundtrack: 'rainy' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const done = await ws.request('movie.finish', { publish: 'public', soundtrack: 'sunny' });
    expect(done.ok).toBe(true);
    expect((await manifestOf(s, (done as { data: { movieId: string } }).data.movieId)).soundtrack).toBe('sunny');
  });

  it('a bad tracks.json means no music with its reason logged once, and the station films on; a fixed one is picked up', async () => {
    const dir = await tracksFolder([{ id: 'sunny', mood: 'happy' }]);
    const good = await readFile(path.join(dir.path, TRACKS_FILE), 'utf8');
    await writeFile(path.join(dir.path, TRACKS_FILE), '{"version":1,"tracks":[{"id":"x","mood":"grumpy"}]}');
    const { s, logs } = await station({ TRACKS_DIR: dir.path });
    for (let i = 0; i < 3; i++) expect(apiTracksSchema.parse(await (await fetch(`${s.url}/api/tracks`)).json()).tracks).toEqual([]);
    const invalid = logs.filter((l) => l.event === 'tracks.invalid');
    expect(invalid).toHaveLength(1);
    expect(String(invalid[0]?.reason)).toMatch(/tracks\.0\.mood/);
    expect(invalid[0]?.level).toBe(40);
    const silentFilm = await finishWith(s, {});
    expect(silentFilm.status).toBe(200);
    expect((await post(`${s.url}/api/finish`, { publish: 'public', soundtrack: 'sunny' })).status).toBe(400);

    await writeFile(path.join(dir.path, TRACKS_FILE), 'not json at all');
    await fetch(`${s.url}/api/tracks`);
    expect(String(logs.filter((l) => l.event === 'tracks.invalid').at(-1)?.reason)).toMatch(/not JSON/);

    await writeFile(path.join(dir.path, TRACKS_FILE), good);
    await waitFor(
      'the fixed tracks.json',
      async () => apiTracksSchema.parse(await (await fetch(`${s.url}/api/tracks`)).json()).tracks.length === 1,
    );
    expect((await finishWith(s, { soundtrack: 'sunny' })).status).toBe(200);
  });

  it('a track whose audio is missing is left out, the others stay, and it returns when its file arrives', async () => {
    const dir = await tracksFolder([
      { id: 'sunny', mood: 'happy' },
      { id: 'owls', mood: 'spooky' },
    ]);
    const kept = await readFile(path.join(dir.path, 'owls.preview.opus'));
    await rm(path.join(dir.path, 'owls.preview.opus'));
    const { s, logs } = await station({ TRACKS_DIR: dir.path });
    const ids = async () => apiTracksSchema.parse(await (await fetch(`${s.url}/api/tracks`)).json()).tracks.map((t) => t.id);
    expect(await ids()).toEqual(['sunny']);
    expect(logs.find((l) => l.event === 'tracks.file_missing')).toMatchObject({ track: 'owls', files: ['owls.preview.opus'] });
    expect((await fetch(`${s.url}/tracks/owls/preview`)).status).toBe(404);
    await writeFile(path.join(dir.path, 'owls.preview.opus'), kept);
    expect(await ids()).toEqual(['sunny', 'owls']);
  });

  it('without TRACKS_DIR, or with a folder that is not there, the list is empty and a soundtrack is refused', async () => {
    const { s } = await station({});
    expect(apiTracksSchema.parse(await (await fetch(`${s.url}/api/tracks`)).json()).tracks).toEqual([]);
    expect((await fetch(`${s.url}/tracks/sunny/preview`)).status).toBe(404);
    const r = await finishWith(s, { soundtrack: 'sunny' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/no tracks/);

    const { s: s2, logs } = await station({ TRACKS_DIR: '/nonexistent/tracks' });
    expect(apiTracksSchema.parse(await (await fetch(`${s2.url}/api/tracks`)).json()).tracks).toEqual([]);
    expect(logs.find((l) => l.event === 'tracks.missing')).toMatchObject({ reason: 'no tracks.json' });
    expect((await finishWith(s2, {})).status).toBe(200);
  });
});
