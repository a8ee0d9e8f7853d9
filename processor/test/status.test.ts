import path from 'node:path';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { processorStatusSchema } from '@stop-motion/protocol';
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

  it('refuses an invalid film id on removal', async () => {
    const res = await fetch(`${p.url}/api/films/..%2F..%2Fetc/remove`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
  });
});
