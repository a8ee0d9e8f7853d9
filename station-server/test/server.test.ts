import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { tempDir, waitFor } from '@stop-motion/e2e';
import {
  httpErrorSchema,
  MAX_CONTROL_MESSAGE_BYTES,
  parseManifest,
  STATION_PROTOCOL_VERSION,
  stationStateSchema,
} from '@stop-motion/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, liveClient, sha, startTestStation, type TestStation, upgradeStatus } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function station(env: Record<string, string> = {}, opts = {}): Promise<TestStation> {
  const s = await startTestStation(env, opts);
  cleanups.push(() => s.remove());
  return s;
}
async function control(url: string, headers: Record<string, string> = {}): Promise<ControlClient> {
  const c = await ControlClient.connect(url, headers);
  cleanups.push(() => c.close());
  return c;
}
const post = (url: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** One request over a real socket with the headers as given (fetch may not set Host). */
function rawRequest(
  base: string,
  urlPath: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: urlPath, method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

/** Bytes written as they are to the server, its whole answer read back (status and body). */
function rawLine(base: string, bytes: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) }, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe('station server with the test camera', () => {
  it('captures through the API, the WebSocket and a sim button: each a complete JPEG identical to a frame of the stream', async () => {
    const s = await station();
    // Every frame the camera streamed, as the server received it from ffmpeg.
    const streamed = new Set<string>();
    s.camera.on('frame', (f) => streamed.add(sha(f.data)));
    await waitFor('a streamed frame', () => streamed.size > 0);
    const live = await liveClient(s.url);
    cleanups.push(() => live.close());
    const c = await control(s.url);
    await waitFor('live frames', () => live.count() > 3);

    const viaApi = await post(`${s.url}/api/capture`);
    expect(viaApi.status).toBe(200);
    const apiResult = (await viaApi.json()) as { frame: { file: string }; frameCount: number };
    expect(apiResult).toMatchObject({ frame: { file: '0000.jpg' }, frameCount: 1 });

    const viaWs = await c.request('movie.capture');
    expect(viaWs).toMatchObject({ ok: true, data: { frame: { file: '0001.jpg' }, frameCount: 2 } });

    const sim = await post(`${s.url}/_sim/button/capture`);
    expect(sim.status).toBe(200);
    await waitFor('third frame', () => c.events('frame.added').length >= 3);
    expect(c.events('button.pressed')[0]).toMatchObject({ data: { action: 'capture', source: 'sim' } });

    const dir = path.join(s.dataDir, 'current', s.store.movieId);
    expect((await readdir(dir)).sort()).toEqual(['0000.jpg', '0001.jpg', '0002.jpg']);
    const hashes = new Set<string>();
    for (const f of ['0000.jpg', '0001.jpg', '0002.jpg']) {
      const data = await readFile(path.join(dir, f));
      expect(data.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(data.subarray(-2).toString('hex')).toBe('ffd9');
      const probe = spawnSync('ffmpeg', ['-v', 'error', '-i', path.join(dir, f), '-f', 'null', '-']);
      expect(probe.status).toBe(0);
      expect(probe.stderr.toString()).toBe('');
      expect(streamed.has(sha(data)), `${f} is a frame of the stream`).toBe(true);
      hashes.add(sha(data));
    }
    expect(hashes.size).toBe(3);
    // The live view carries the same frames, untouched (latest-frame-wins may skip some).
    expect(live.hashes.size).toBeGreaterThan(3);
    for (const h of live.hashes) expect(streamed.has(h)).toBe(true);
    expect(c.invalid).toEqual([]);
  });

  it('hello, then a snapshot that matches /api/state; two clients see the same state', async () => {
    const s = await station();
    const a = await control(s.url);
    const b = await control(s.url);
    expect(a.messages[0]).toMatchObject({ type: 'hello', protocol: STATION_PROTOCOL_VERSION, stationId: 'test-station' });
    expect(a.messages[1]?.type).toBe('snapshot');
    const hello = b.messages[0];
    expect(hello?.type === 'hello' && a.messages[0]?.type === 'hello' && hello.serverStartId === a.messages[0].serverStartId).toBe(true);

    await a.request('movie.capture');
    await a.request('movie.capture');
    await a.request('movie.undo');
    await waitFor('b sees the undo', () => b.events('frame.removed').length === 1);
    const stateA = (await a.request('state.get')) as { data: unknown };
    const stateB = (await b.request('state.get')) as { data: unknown };
    const http = await (await fetch(`${s.url}/api/state`)).json();
    expect(stationStateSchema.parse(http)).toEqual(stateA.data);
    expect(stateB.data).toEqual(stateA.data);
    expect((stateA.data as { movie: { frames: unknown[] } }).movie.frames).toHaveLength(1);
    expect(b.events('frame.added').map((e) => e.name === 'frame.added' && e.data.frameCount)).toEqual([1, 2]);
  });

  it('finish through the API writes the package and starts the next movie', async () => {
    const s = await station({ GALLERY_PUBLIC_URL: 'https://films.example' });
    const c = await control(s.url);
    expect((await post(`${s.url}/api/finish`, { publish: 'public' })).status).toBe(409); // no frames yet
    await post(`${s.url}/api/capture`);
    await post(`${s.url}/api/capture`);
    const first = s.store.movieId;
    const res = await post(`${s.url}/api/finish`, { publish: 'public', title: 'The Cat' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ movieId: first });
    const finished = await c.waitEvent('movie.finished');
    expect(finished.data).toMatchObject({ movieId: first, publish: 'public', frameCount: 2 });
    const started = await c.waitEvent('movie.started');
    expect(started.data.movie.id).toBe(s.store.movieId);
    expect(started.data.movie.frames).toEqual([]);
    const manifest = parseManifest(await readFile(path.join(s.dataDir, 'outbox', first, 'manifest.json'), 'utf8'), first);
    expect(manifest.ok && manifest.value.title).toBe('The Cat');
    expect((await readdir(path.join(s.dataDir, 'outbox', first))).sort()).toEqual([
      '0000.jpg',
      '0001.jpg',
      'DONE',
      'PUBLISH',
      'manifest.json',
    ]);
    // The poster of a finished film stays reachable.
    const poster = s.station.snapshot().recent[0];
    expect(poster?.posterFile).toBe('0001.jpg');
    expect((await fetch(`${s.url}/frames/${first}/0001.jpg`)).status).toBe(200);

    // Through the socket the finish answers with what the QR code needs.
    await c.request('movie.capture');
    const viaWs = await c.request('movie.finish', { publish: 'private' });
    expect(viaWs.ok).toBe(true);
    const data = (viaWs as { data: { movieId: string; ownerKey: string; shortCode: string; claimUrl: string } }).data;
    expect(data.shortCode).toBe(data.movieId.slice(-6));
    expect(data.claimUrl).toBe(`https://films.example/m/${data.movieId}#k=${data.ownerKey}`);
    expect((await post(`${s.url}/api/finish`, { publish: 'maybe' })).status).toBe(400);
    const broken = await fetch(`${s.url}/api/finish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"publish":',
    });
    expect(broken.status).toBe(400);
    // An empty JSON body is fine for the actions that take none.
    expect((await fetch(`${s.url}/api/capture`, { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(200);
  });

  it('refuses WebSockets and changes from a foreign Origin; allows its own and none', async () => {
    const s = await station();
    const ws = s.url.replace(/^http/, 'ws');
    expect(await upgradeStatus(`${ws}/ws`, { Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(`${ws}/live`, { Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(`${ws}/ws`, { Origin: s.url })).toBe(101);
    expect(await upgradeStatus(`${ws}/ws`, { Origin: 'http://localhost:5173' })).toBe(101);
    expect(await upgradeStatus(`${ws}/ws`, {})).toBe(101);
    expect(await upgradeStatus(`${ws}/elsewhere`, {})).toBe(404);
    expect((await post(`${s.url}/api/capture`, undefined, { Origin: 'https://evil.example' })).status).toBe(403);
    expect(s.store.frameCount).toBe(0);
  });

  it('answers every route family only under its own names: a foreign Host (DNS rebinding) gets 421', async () => {
    const s = await station({ ALLOWED_HOSTS: 'station-7.lan' });
    await post(`${s.url}/api/capture`);
    const movieId = s.store.movieId;
    const port = new URL(s.url).port;
    const paths = [
      '/api/state',
      '/healthz',
      `/frames/${movieId}/0000.jpg`,
      `/thumbs/${movieId}/0000.jpg`,
      '/',
      '/index.html',
      '/assets/index.js',
      '/some/client/route',
    ];
    for (const p of paths) {
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
        const r = await rawRequest(s.url, p, { host });
        expect(r.status, `GET ${p} Host: ${host}`).toBe(421);
        expect(r.body, `GET ${p} Host: ${host}`).not.toContain(movieId);
      }
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost', `station-7.lan:${port}`]) {
        const r = await rawRequest(s.url, p, { host });
        expect(r.status, `GET ${p} Host: ${host}`).not.toBe(421);
        expect(r.status, `GET ${p} Host: ${host}`).toBeLessThan(500);
      }
    }
    const state = await rawRequest(s.url, '/api/state', { host: `localhost:${port}` });
    expect(state.status).toBe(200);
    expect(state.body).toContain(movieId);
    expect((await rawRequest(s.url, `/frames/${movieId}/0000.jpg`, { host: `127.0.0.1:${port}` })).status).toBe(200);
    // Changes and the sim buttons too, even with an Origin that would pass.
    for (const p of ['/api/capture', '/api/undo', '/_sim/button/capture']) {
      const r = await rawRequest(s.url, p, { host: 'evil.example', origin: 'http://localhost' }, 'POST');
      expect(r.status, `POST ${p}`).toBe(421);
    }
    expect(s.store.frameCount).toBe(1);
    const ws = s.url.replace(/^http/, 'ws');
    expect(await upgradeStatus(`${ws}/ws`, { Host: 'evil.example' })).toBe(421);
    expect(await upgradeStatus(`${ws}/live`, { Host: `evil.example:${port}` })).toBe(421);
    expect(await upgradeStatus(`${ws}/ws`, { Host: `localhost:${port}` })).toBe(101);
  });

  it('answers malformed and oversized messages with errors and keeps going', async () => {
    const s = await station();
    const c = await control(s.url);
    const replies = () => c.messages.filter((m) => m.type === 'reply');
    const cases: Array<[string | Buffer, boolean]> = [
      ['not json', false],
      ['{"type":"request","id":"a1","method":"movie.finish","params":{"publish":"everyone"}}', false],
      ['{"type":"request","id":"a2","method":"self.destruct"}', false],
      ['{"type":"request","method":"state.get"}', false],
      ['[1,2,3]', false],
      ['null', false],
      [
        JSON.stringify({
          type: 'request',
          id: 'a3',
          method: 'ui.log',
          params: { level: 'info', message: 'x'.repeat(MAX_CONTROL_MESSAGE_BYTES) },
        }),
        false,
      ],
      [Buffer.from([1, 2, 3]), true],
    ];
    for (const [data, binary] of cases) c.sendRaw(data, binary);
    await waitFor('all answered', () => replies().length === cases.length);
    const errors = replies().map((r) => (r.ok ? 'ok' : `${r.id}:${r.error.code}`));
    expect(errors).toEqual([
      'null:bad_request',
      'a1:bad_request',
      'a2:unknown_method',
      'null:bad_request',
      'null:bad_request',
      'null:bad_request',
      'null:too_large',
      'null:bad_request',
    ]);
    expect(await c.request('state.get')).toMatchObject({ ok: true });
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('answers every HTTP error with the one body: bad input, unknown routes, oversized and untyped bodies, foreign names', async () => {
    const s = await station();
    const port = new URL(s.url).port;
    const expectError = async (res: Response | { status: number; body: string }, status: number, code: string) => {
      const text = 'text' in res ? await res.text() : res.body;
      expect(res.status, text).toBe(status);
      const body = httpErrorSchema.parse(JSON.parse(text));
      expect(body.error.code, text).toBe(code);
      expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    };
    await expectError(await post(`${s.url}/api/finish`, { title: 5 }), 400, 'bad_request');
    await expectError(
      await fetch(`${s.url}/api/finish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":' }),
      400,
      'bad_request',
    );
    await expectError(await post(`${s.url}/api/no-such-route`), 404, 'not_found');
    await expectError(await fetch(`${s.url}/api/no-such-route`), 404, 'not_found');
    await expectError(await fetch(`${s.url}/frames/nope/0000.jpg`), 404, 'not_found');
    await expectError(await post(`${s.url}/api/finish`, { title: 'x'.repeat(MAX_CONTROL_MESSAGE_BYTES) }), 413, 'too_large');
    await expectError(
      await fetch(`${s.url}/api/finish`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }),
      415,
      'unsupported_media_type',
    );
    await expectError(await rawRequest(s.url, '/api/state', { Host: `evil.example:${port}` }), 421, 'forbidden');
    await expectError(await post(`${s.url}/api/undo`, undefined, { origin: 'https://evil.example' }), 403, 'forbidden');
    // A station refusal: the code of its status, the station's own word as the reason.
    const empty = await post(`${s.url}/api/undo`);
    expect(empty.status).toBe(409);
    expect(httpErrorSchema.parse(await empty.json()).error).toMatchObject({ code: 'conflict', reason: 'no_frames' });
    // A request line too broken for the router still gets the body.
    await expectError(await rawLine(s.url, 'GET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'bad_request');
  });

  it('refuses captures at MAX_FRAMES and when the disk is full, with events', async () => {
    let free = 10 * 1024 * 1024 * 1024;
    const s = await station(
      { MAX_FRAMES: '2', DISK_MIN_FREE_MB: '100' },
      { statfs: async () => ({ freeBytes: free, totalBytes: 2 * free }) },
    );
    const c = await control(s.url);
    await post(`${s.url}/api/capture`);
    await post(`${s.url}/api/capture`);
    await c.waitEvent('movie.limit');
    const third = await post(`${s.url}/api/capture`);
    expect(third.status).toBe(409);
    expect(((await third.json()) as { error: unknown }).error).toMatchObject({ code: 'conflict', reason: 'limit_reached' });
    expect((await c.waitEvent('capture.refused')).data.reason).toBe('limit');
    await post(`${s.url}/api/undo`);
    free = 10 * 1024 * 1024;
    // @ts-expect-error reaching into the running station's disk monitor for the test
    await s.station.parts.disk.check();
    await c.waitEvent('disk.status');
    const refused = await post(`${s.url}/api/capture`);
    expect(refused.status).toBe(507);
    expect(s.station.snapshot().disk.full).toBe(true);
  });

  it('settings.set changes locale, sound and onion opacity, persisted across restarts', async () => {
    const dir = await tempDir('settings');
    cleanups.push(() => dir.remove());
    const s1 = await startTestStation({ STATION_DATA_DIR: dir.path, LOCALE: 'en', IDLE_MINUTES: '3', TITLE_ENABLED: 'true' });
    const c = await ControlClient.connect(s1.url);
    expect(c.snapshot().settings).toMatchObject({ locale: 'en', idleMinutes: 3, titleEnabled: true, sound: true, designer: true });
    const r = await c.request('settings.set', { locale: 'ar', onionOpacity: 0.5 });
    expect(r).toMatchObject({ ok: true, data: { locale: 'ar', onionOpacity: 0.5 } });
    expect((await c.waitEvent('settings.changed')).data.locale).toBe('ar');
    expect(await c.request('settings.set', { onionOpacity: 7 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    c.close();
    await s1.close();
    const s2 = await startTestStation({ STATION_DATA_DIR: dir.path, LOCALE: 'en' });
    cleanups.push(() => s2.close());
    expect(s2.station.snapshot().settings).toMatchObject({ locale: 'ar', onionOpacity: 0.5 });
  });

  it('serves frames with cache headers and small thumbnails', async () => {
    const s = await station();
    const c = await control(s.url);
    const r = (await c.request('movie.capture')) as { data: { frame: { file: string; hash: string } } };
    const id = s.store.movieId;
    const frame = await fetch(`${s.url}/frames/${id}/${r.data.frame.file}?v=${r.data.frame.hash}`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-type')).toBe('image/jpeg');
    expect(frame.headers.get('cache-control')).toContain('immutable');
    const bytes = Buffer.from(await frame.arrayBuffer());
    expect(sha(bytes).slice(0, 16)).toBe(r.data.frame.hash);
    const thumb = await fetch(`${s.url}/thumbs/${id}/${r.data.frame.file}?v=${r.data.frame.hash}`);
    expect(thumb.status).toBe(200);
    const small = Buffer.from(await thumb.arrayBuffer());
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width', '-of', 'csv=p=0', '-i', 'pipe:0'], {
      input: small,
    });
    expect(probe.stdout.toString().trim()).toBe('240');
    expect((await fetch(`${s.url}/frames/${id}/0009.jpg`)).status).toBe(404);
    expect((await fetch(`${s.url}/frames/..%2F..%2Fetc/passwd`)).status).toBe(404);
    expect((await fetch(`${s.url}/thumbs/${id}/manifest.json`)).status).toBe(404);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('serves a Vite-built UI folder, and a placeholder page when there is none', async () => {
    const ui = await tempDir('ui');
    cleanups.push(() => ui.remove());
    await mkdir(path.join(ui.path, 'assets'));
    await writeFile(
      path.join(ui.path, 'index.html'),
      '<!doctype html><title>station</title><script type="module" src="/assets/index-abc123.js"></script>',
    );
    await writeFile(path.join(ui.path, 'assets', 'index-abc123.js'), 'console.log(1)');
    const s = await station({ STATION_UI_DIR: ui.path });
    const index = await fetch(`${s.url}/`);
    expect(await index.text()).toContain('<title>station</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const js = await fetch(`${s.url}/assets/index-abc123.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${s.url}/finish/qr`)).text()).toContain('<title>station</title>');
    expect((await fetch(`${s.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${s.url}/api/nothing`)).status).toBe(404);
    expect(await (await fetch(`${s.url}/..%2f..%2f..%2fetc%2fpasswd`)).text()).not.toContain('root:');

    const bare = await station({ STATION_UI_DIR: path.join(ui.path, 'nope') });
    const page = await fetch(`${bare.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('not built');
  });

  it('has no simulated buttons unless BUTTONS=sim', async () => {
    const s = await station({ BUTTONS: 'none' });
    expect((await post(`${s.url}/_sim/button/capture`)).status).toBe(404);
    expect(s.station.snapshot().buttons).toEqual({ kind: 'none', state: 'off' });
    const sim = await station();
    expect((await post(`${sim.url}/_sim/button/jump`)).status).toBe(400);
  });

  it('restarts a camera program that dies and tells the UI', async () => {
    const s = await station();
    const c = await control(s.url);
    await waitFor('camera ok', () => s.station.snapshot().camera.state === 'ok');
    // The test camera is an ffmpeg child of this process.
    const children = readdirSync(`/proc/${process.pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
    );
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    const ffmpeg = children.map(Number).filter((pid) => cmdline(pid).startsWith('ffmpeg') && cmdline(pid).includes('lavfi'));
    expect(ffmpeg.length).toBeGreaterThan(0);
    for (const pid of ffmpeg) process.kill(pid, 'SIGKILL');
    const restarting = await waitFor('restarting', () =>
      c.events('camera.status').find((e) => e.name === 'camera.status' && e.data.state === 'restarting'),
    );
    expect(restarting.data).toMatchObject({ state: 'restarting', restarts: 1 });
    expect(restarting.name === 'camera.status' && restarting.data.message).toMatch(/ffmpeg exited \(SIGKILL\)/);
    const after = c.events('camera.status').indexOf(restarting);
    await waitFor('camera back', () =>
      c
        .events('camera.status')
        .slice(after)
        .some((e) => e.name === 'camera.status' && e.data.state === 'ok'),
    );
    expect(s.station.snapshot().camera).toMatchObject({ state: 'ok', restarts: 1 });
    expect(await c.request('movie.capture')).toMatchObject({ ok: true });
  });

  it('button presses from the UI reach every client and act', async () => {
    const s = await station();
    const a = await control(s.url);
    const b = await control(s.url);
    expect(await a.request('button.press', { action: 'play', source: 'key' })).toMatchObject({ ok: true });
    expect((await b.waitEvent('button.pressed')).data).toEqual({ action: 'play', source: 'key' });
    await a.request('button.press', { action: 'capture', source: 'touch' });
    await b.waitEvent('frame.added');
    expect(s.store.frameCount).toBe(1);
  });
});
