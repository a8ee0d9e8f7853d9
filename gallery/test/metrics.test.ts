import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  createS3Client,
  freePort,
  type NotifySocket,
  type S3Service,
  scrape,
  spawnManaged,
  startNotifySocket,
  startS3,
  tempDir,
  waitFor,
} from '@stop-motion/e2e';
import { createLogger, type Gallery, loadConfig, startGallery } from '@stop-motion/gallery';
import { movieKeys } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MediaFixture, makeMedia, newId, sampleMeta, uploadFilm } from './fixtures.js';

const TOKEN = 'metrics-token-for-the-gallery-test';
const bearer = { authorization: `Bearer ${TOKEN}` };
let s3: S3Service;
let media: MediaFixture;
const galleries: Gallery[] = [];

async function gallery(env: Record<string, string>): Promise<Gallery> {
  const g = await startGallery({
    config: loadConfig({ ...s3.env(), LOG_LEVEL: 'silent', REFRESH_SECONDS: '60', ...env }),
    logger: createLogger({ level: 'silent' }),
    s3Client: createS3Client({ ...s3, ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}), forcePathStyle: true }),
    host: '127.0.0.1',
    port: 0,
  });
  galleries.push(g);
  return g;
}

beforeAll(async () => {
  [s3, media] = await Promise.all([startS3(), makeMedia()]);
});
afterAll(async () => {
  for (const g of galleries) await g.close();
  await Promise.all([s3?.close(), media?.remove()]);
});

describe('gallery /metrics', () => {
  it('is served only to a bearer of METRICS_TOKEN, and not at all without one', async () => {
    const open = await gallery({});
    expect((await fetch(`${open.url}/metrics`)).status).toBe(404);
    const g = await gallery({ METRICS_TOKEN: TOKEN });
    expect((await fetch(`${g.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${g.url}/metrics`, { headers: { authorization: 'Bearer not-the-metrics-token-at-all' } })).status).toBe(401);
    expect((await scrape(`${g.url}/metrics`, bearer)).get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts requests by route and status and page-cache hits and misses', async () => {
    const meta = sampleMeta(newId());
    await uploadFilm(s3.client(), s3.bucket, meta, media);
    const g = await gallery({ METRICS_TOKEN: TOKEN });
    for (let i = 0; i < 3; i++) expect((await fetch(`${g.url}/`)).status).toBe(200);
    expect((await fetch(`${g.url}/m/${meta.id}`)).status).toBe(200);
    expect((await fetch(`${g.url}/no/such/page`)).status).toBe(404);
    const m = await scrape(`${g.url}/metrics`, bearer);
    expect(m.get('stopmotion_gallery_requests_total', { route: '/', status: '200' })).toBe(3);
    expect(m.get('stopmotion_gallery_requests_total', { route: '/m/:id', status: '200' })).toBe(1);
    expect(m.get('stopmotion_gallery_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    // The list page: rendered once, then served from the cache.
    expect(m.get('stopmotion_gallery_page_cache_total', { cache: 'page', result: 'hit' })).toBe(2);
    expect(m.get('stopmotion_gallery_page_cache_total', { cache: 'page', result: 'miss' })).toBe(2);
    expect(m.get('stopmotion_gallery_s3_errors_total', { call: 'listMeta' })).toBe(0);
  });

  it('counts S3 errors when S3 does not answer', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const g = await gallery({ METRICS_TOKEN: TOKEN, S3_ENDPOINT: dead, S3_TIMEOUT_SECONDS: '2' });
    await fetch(`${g.url}/`);
    await waitFor(
      'a failed listing counted',
      async () => ((await scrape(`${g.url}/metrics`, bearer)).get('stopmotion_gallery_s3_errors_total', { call: 'listMeta' }) ?? 0) >= 1,
    );
  });
});

describe('MODERATION=pre on the gallery', () => {
  it('tells a family whose film is not there yet that it waits for review, in each language', async () => {
    const id = newId();
    const post = await gallery({});
    const pre = await gallery({ MODERATION: 'pre' });
    expect(await (await fetch(`${post.url}/m/${id}?lang=en`)).text()).toContain('Your film is on its way');
    const en = await fetch(`${pre.url}/m/${id}?lang=en`);
    expect(en.status).toBe(200);
    const text = await en.text();
    expect(text).toContain('Your film is waiting for review');
    expect(text).not.toContain('on its way');
    expect(await (await fetch(`${pre.url}/m/${id}?lang=he`)).text()).toContain('הסרט שלך ממתין לבדיקה');
    expect(await (await fetch(`${pre.url}/m/${id}?lang=ar`)).text()).toContain('فيلمك بانتظار المراجعة');
    const api = await fetch(`${pre.url}/api/movies/${id}`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'not_yet', message: 'waiting for review', review: true } });
    // Once approved and uploaded, the same link is the film.
    await uploadFilm(s3.client(), s3.bucket, sampleMeta(id, { title: 'Approved film' }), media);
    // (a miss is remembered for a few seconds; the page itself looks again every few seconds)
    await waitFor('the film page', async () => (await (await fetch(`${pre.url}/m/${id}?lang=en`)).text()).includes('Approved film'), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  });
});

describe('MODERATION=pre: a film refused in review', () => {
  /** The marker the processor writes when an operator makes a film private or takes it down in review. */
  async function refuse(id: string, decision: 'private' | 'takedown'): Promise<void> {
    const body = JSON.stringify({ id, decision, at: new Date().toISOString() });
    await s3
      .client()
      .send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).refused, Body: body, ContentType: 'application/json' }));
  }

  it('made private: the page says big screen only, not "waiting for review"; taken down: gone', async () => {
    const pre = await gallery({ MODERATION: 'pre' });
    const privateId = newId();
    const downId = newId();
    // Both wait for review first, as the family sees them right after the station.
    for (const id of [privateId, downId]) expect(await (await fetch(`${pre.url}/m/${id}?lang=en`)).text()).toContain('waiting for review');
    await refuse(privateId, 'private');
    await refuse(downId, 'takedown');
    // (a miss is remembered for a few seconds)
    const page = await waitFor(
      'the private page',
      async () => {
        const res = await fetch(`${pre.url}/m/${privateId}?lang=en`);
        const text = await res.text();
        return text.includes('big screen only') ? { status: res.status, text } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('waiting for review');
    expect(await (await fetch(`${pre.url}/m/${privateId}?lang=he`)).text()).toContain('הסרט שלך מוצג רק על המסך הגדול');
    expect(await (await fetch(`${pre.url}/m/${privateId}?lang=ar`)).text()).toContain('فيلمك للشاشة الكبيرة فقط');
    // The waiting page's script looks at the API: anything but not_yet makes it reload into the page above.
    const api = await fetch(`${pre.url}/api/movies/${privateId}`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'private' } });
    const down = await waitFor('the taken-down page', async () => {
      const res = await fetch(`${pre.url}/m/${downId}?lang=en`);
      return res.status === 404 ? res : undefined;
    });
    const downText = await down.text();
    expect(downText).toContain('Film not found');
    expect(downText).not.toContain('waiting for review');
    expect(await (await fetch(`${pre.url}/api/movies/${downId}`)).json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('gallery systemd watchdog', () => {
  let notify: NotifySocket | undefined;
  afterAll(async () => {
    await notify?.close();
  });

  it('says READY=1 once listening, then WATCHDOG=1 while /healthz answers, and STOPPING=1 on SIGTERM', async () => {
    const dir = await tempDir('gallery-notify');
    try {
      notify = await startNotifySocket(dir.path);
      const p = spawnManaged({
        name: 'gallery',
        command: process.execPath,
        args: ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          ...s3.env(),
          GALLERY_HOST: '127.0.0.1',
          GALLERY_PORT: String(await freePort()),
          NOTIFY_SOCKET: notify.path,
          WATCHDOG_USEC: '400000',
        },
        keepLines: 200,
      });
      try {
        const n = notify;
        await n.waitFor((m) => m.some((x) => x.line === 'READY=1'), 'READY=1');
        await n.waitFor((m) => m.filter((x) => x.line === 'WATCHDOG=1').length >= 3, 'three WATCHDOG=1');
        expect(n.messages.findIndex((m) => m.line === 'READY=1')).toBeLessThan(n.messages.findIndex((m) => m.line === 'WATCHDOG=1'));
        await p.stop();
        expect(n.messages.some((m) => m.line === 'STOPPING=1')).toBe(true);
      } finally {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    } finally {
      await dir.remove();
    }
  });
});
