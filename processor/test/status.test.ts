import path from 'node:path';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { httpErrorSchema, processorStatusSchema } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { fetchStatus, writePackage } from './helpers.js';

describe('status API', () => {
  let dir: TempDir;
  let p: Processor;
  const token = 'operator-token-1234';

  beforeAll(async () => {
    dir = await tempDir('proc-status');
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      STATUS_TOKEN: token,
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
    });
    p = await startProcessor(config, { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('answers /healthz without a token', async () => {
    const res = await fetch(`${p.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it.each([
    ['no token', {}, `/status`, 401],
    ['a wrong token', { authorization: 'Bearer nope-nope-nope-nope' }, `/status`, 401],
    ['a bearer token', { authorization: `Bearer ${token}` }, `/status`, 200],
    ['a query token', {}, `/status?token=${token}`, 200],
    ['the HTML page without a token', {}, `/`, 401],
  ])('with %s answers %s', async (_name, headers, url, status) => {
    const res = await fetch(`${p.url}${url}`, { headers });
    expect(res.status).toBe(status);
  });

  it('reports jobs with progress, the playlist, now playing and free disk; the page escapes titles', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 6, title: '<img src=x onerror=alert(1)>' });
    const auth = { authorization: `Bearer ${token}` };
    await waitFor('the film to be done', () => p.pipeline.job(id)?.state === 'done', { timeoutMs: 60_000, intervalMs: 100 });
    const s = await fetchStatus(p.url, { headers: auth });
    expect(s).toMatchObject({ playlist: [id], nowPlaying: null, queue: [], failures: [], uploadsWaiting: [] });
    expect(s.jobs[0]).toMatchObject({ id, state: 'done', publish: 'private', progress: 1, frameCount: 6 });
    expect(s.recent[0]?.renderMs).toBeGreaterThan(0);
    expect(s.disk?.freeBytes).toBeGreaterThan(0);
    // In-process, the same object holds to the schema too.
    processorStatusSchema.parse(await p.pipeline.status());
    const html = await (await fetch(`${p.url}/`, { headers: auth })).text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });

  it('answers every HTTP error with the one body and ok: false: no token, unknown routes, broken, oversized and untyped bodies, foreign names', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const expectError = async (res: Response, status: number, code: string) => {
      const text = await res.text();
      expect(res.status, text).toBe(status);
      const json = JSON.parse(text) as { ok?: unknown };
      expect(json.ok, text).toBe(false);
      expect(httpErrorSchema.parse(json).error.code, text).toBe(code);
      expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    };
    const remove = `${p.url}/api/films/01JD2X3Y4Z5A6B7C8D9E0F1G2H/remove`;
    await expectError(await fetch(`${p.url}/status`), 401, 'unauthorized');
    await expectError(await fetch(`${p.url}/no-such-route`, { headers: auth }), 404, 'not_found');
    await expectError(await fetch(`${p.url}/api/films/..%2Fx/remove`, { method: 'POST', headers: auth }), 400, 'bad_request');
    const json = { ...auth, 'content-type': 'application/json' };
    await expectError(await fetch(remove, { method: 'POST', headers: json, body: '{"a":' }), 400, 'bad_request');
    await expectError(
      await fetch(remove, { method: 'POST', headers: json, body: JSON.stringify({ a: 'x'.repeat(20_000) }) }),
      413,
      'too_large',
    );
    await expectError(
      await fetch(remove, { method: 'POST', headers: { ...auth, 'content-type': 'application/xml' }, body: '<a/>' }),
      415,
      'unsupported_media_type',
    );
    await expectError(await fetch(remove, { method: 'POST', headers: { ...auth, origin: 'https://evil.example' } }), 403, 'forbidden');
  });

  it('refuses an invalid film id on removal', async () => {
    const res = await fetch(`${p.url}/api/films/..%2F..%2Fetc/remove`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
  });
});
