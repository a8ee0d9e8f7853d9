import { connect } from 'node:net';
import { createS3Client, type S3Service, startS3 } from '@stop-motion/e2e';
import { createLogger, type Gallery, loadConfig, startGallery } from '@stop-motion/gallery';
import { httpErrorSchema } from '@stop-motion/protocol';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from './fixtures.js';

// Every JSON refusal of the gallery is the one body of every service, `{ error: { code, message, reason? } }`:
// fastify's own (no route, too large, wrong type, a broken request), the rate limits, and the routes' own.

const ADMIN_TOKEN = 'admin-token-for-the-error-body-test';
const METRICS_TOKEN = 'metrics-token-for-the-error-body-test';
let s3: S3Service;
let g: Gallery;
const started: Gallery[] = [];

async function start(): Promise<Gallery> {
  const gallery = await startGallery({
    config: loadConfig({ ...s3.env(), LOG_LEVEL: 'silent', REFRESH_SECONDS: '60', GALLERY_ADMIN_TOKEN: ADMIN_TOKEN, METRICS_TOKEN }),
    logger: createLogger({ level: 'silent' }),
    s3Client: createS3Client({ ...s3, forcePathStyle: true }),
    host: '127.0.0.1',
    port: 0,
  });
  started.push(gallery);
  return gallery;
}

beforeAll(async () => {
  s3 = await startS3();
  g = await start();
});
afterAll(async () => {
  for (const gallery of started) await gallery.close();
  await s3?.close();
});

/** The body of `res`, checked to be exactly the one error body (parsing drops unknown fields: equal means none). */
async function errorBodyOf(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/json');
  const json: unknown = await res.json();
  const parsed = httpErrorSchema.safeParse(json);
  expect(parsed.error?.issues ?? [], JSON.stringify(json)).toEqual([]);
  expect(json).toEqual(parsed.data);
  return parsed.data?.error;
}

const removeFilm = (id: string, body: string, contentType = 'application/json', at: Gallery = g) =>
  fetch(`${at.url}/api/movies/${id}/remove`, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('the one HTTP error body', () => {
  it('answers an unknown API route', async () => {
    const res = await fetch(`${g.url}/api/nothing-here?x=1`);
    expect(res.status).toBe(404);
    expect(await errorBodyOf(res)).toEqual({ code: 'not_found', message: 'no route GET /api/nothing-here' });
    // A page that is not there stays a page for people.
    const page = await fetch(`${g.url}/nothing-here`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('answers a bad cursor with the code of its status and the gallery’s word', async () => {
    const res = await fetch(`${g.url}/api/movies?cursor=..%2F`);
    expect(res.status).toBe(400);
    expect(await errorBodyOf(res)).toMatchObject({ code: 'bad_request', reason: 'bad_cursor' });
  });

  it('answers an oversized body and a body of a type nobody reads', async () => {
    const big = await removeFilm(newId(), JSON.stringify({ key: 'k'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(await errorBodyOf(big)).toMatchObject({ code: 'too_large' });
    const xml = await removeFilm(newId(), '<key/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(await errorBodyOf(xml)).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('answers a film on its way, one not there, and a wrong owner key', async () => {
    const onItsWay = await fetch(`${g.url}/api/movies/${newId()}`);
    expect(onItsWay.status).toBe(404);
    expect(await errorBodyOf(onItsWay)).toEqual({ code: 'not_found', message: 'not uploaded yet', reason: 'not_yet' });
    const old = await fetch(`${g.url}/api/movies/${ulid(Date.parse('2020-01-01T00:00:00Z'))}`);
    expect(old.status).toBe(404);
    expect(await errorBodyOf(old)).toEqual({ code: 'not_found', message: 'no such film' });
    const bad = await removeFilm(newId(), JSON.stringify({ key: 'short' }));
    expect(bad.status).toBe(400);
    expect(await errorBodyOf(bad)).toMatchObject({ code: 'bad_request' });
  });

  it('answers 429 from the rate limit and from the admin guard as too_many_requests', async () => {
    // An instance of its own: the budgets are per client, and the other tests spend this one's.
    const fresh = await start();
    const id = newId();
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await removeFilm(id, JSON.stringify({ key: 'k'.repeat(32) }), 'application/json', fresh);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    if (!limited) throw new Error('no 429');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await errorBodyOf(limited)).toEqual({ code: 'too_many_requests', message: 'too many attempts' });

    // Wrong admin tokens: 401 first, then the guard's 429.
    let last: Response | undefined;
    const seen = new Set<number>();
    for (let i = 0; i < 15; i++) {
      last = await fetch(`${fresh.url}/api/admin/movies`, { headers: { authorization: `Bearer wrong-${i}` } });
      seen.add(last.status);
      if (i === 0) expect(await errorBodyOf(last)).toEqual({ code: 'unauthorized', message: 'admin token required' });
      else if (i < 14) await last.body?.cancel();
    }
    expect(seen).toEqual(new Set([401, 429]));
    if (!last) throw new Error('no answer');
    expect(last.status).toBe(429);
    expect(await errorBodyOf(last)).toEqual({ code: 'too_many_requests', message: 'slow down' });
  });

  it('answers /metrics without its token', async () => {
    const res = await fetch(`${g.url}/metrics`, { headers: { authorization: 'Bearer not-it' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await errorBodyOf(res)).toEqual({ code: 'unauthorized', message: 'a valid METRICS_TOKEN is required' });
    expect((await fetch(`${g.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });

  it('answers a request too broken to reach the router', async () => {
    const { port } = new URL(g.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    const json: unknown = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(httpErrorSchema.parse(json)).toEqual({ error: { code: 'bad_request', message: 'bad request' } });
  });
});
