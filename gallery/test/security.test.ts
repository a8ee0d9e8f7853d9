import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type RedisService, redisCommand, type S3Service, startRedis, startS3, waitFor } from '@stop-motion/e2e';
import { createLogger, type Gallery, type GalleryConfig, loadConfig, startGallery } from '@stop-motion/gallery';
import { FILMS_CHANNEL, type FilmMeta, movieKeys, tombstoneSchema } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MediaFixture, makeMedia, newId, putMeta, sampleMeta, uploadFilm } from './fixtures.js';

// Hostile and unlucky input against real s3rver and redis-server: owner removal,
// spoofing titles, admin sign-in and tokens, proxy headers, messages and cursors.

const ADMIN_TOKEN = randomBytes(18).toString('base64url');
let redis: RedisService;
let s3: S3Service;
let media: MediaFixture;
let writer: S3Client;
/** Two instances on one Redis: what one does, the other must see. */
let a: Gallery;
let b: Gallery;
let offset = 0;
const now = () => Date.now() + offset;
const logLines: string[] = [];
const started: Gallery[] = [];

const ownerKey = randomBytes(24).toString('base64url');
const ownerKeyHash = createHash('sha256').update(ownerKey, 'utf8').digest('hex');
const SPOOF = 'Movie \u202Egnp.exe';
let owned: FilmMeta;
let spoofed: FilmMeta;
const listed: FilmMeta[] = [];

function capture(): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
}

function configFor(extra: Record<string, string> = {}): GalleryConfig {
  return loadConfig({ ...s3.env(), REFRESH_SECONDS: '60', GALLERY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn', ...extra });
}

async function start(extra: Record<string, string>, clock: () => number = Date.now): Promise<Gallery> {
  const g = await startGallery({
    config: configFor(extra),
    logger: createLogger({ level: 'warn', destination: capture() }),
    s3Client: createS3Client({ ...s3, forcePathStyle: true }),
    now: clock,
    host: '127.0.0.1',
    port: 0,
  });
  started.push(g);
  return g;
}

const post = (g: Gallery, path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${g.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: g.url, ...headers },
    body: new URLSearchParams(body).toString(),
  });
const removeFilm = (g: Gallery, id: string, key: string, headers: Record<string, string> = {}) =>
  fetch(`${g.url}/api/movies/${id}/remove`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ key }),
  });
async function login(g: Gallery): Promise<string> {
  const res = await post(g, '/admin/login', { token: ADMIN_TOKEN });
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}
const signedIn = async (g: Gallery, cookie: string) =>
  (await (await fetch(`${g.url}/admin`, { headers: { cookie } })).text()).includes('Sign out');
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function objectsOf(id: string): Promise<string[]> {
  const out = await writer.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: movieKeys(id).prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

beforeAll(async () => {
  [redis, s3, media] = await Promise.all([startRedis(), startS3(), makeMedia()]);
  writer = s3.client();
  const base = Date.now() - 600_000;
  for (let i = 0; i < 30; i++) {
    const meta = sampleMeta(newId(base + i * 1000), { createdAt: new Date(base + i * 1000).toISOString() });
    listed.push(meta);
    await uploadFilm(writer, s3.bucket, meta);
  }
  owned = sampleMeta(newId(), { title: 'Owned film', ownerKeyHash });
  spoofed = sampleMeta(newId(), { title: SPOOF });
  await uploadFilm(writer, s3.bucket, owned, media);
  await writer.send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(owned.id).preview, Body: media.video }));
  await uploadFilm(writer, s3.bucket, spoofed, media);
  a = await start({ REDIS_URL: redis.url }, now);
  b = await start({ REDIS_URL: redis.url }, now);
});

afterAll(async () => {
  await Promise.all(started.map((g) => g.close()));
  await Promise.all([redis?.close(), s3?.close(), media?.remove()]);
});

describe('owner removal (issue 12, item 6)', () => {
  it('uses presigned URLs valid for minutes, not hours, by default', async () => {
    expect(configFor().PRESIGN_SECONDS).toBeLessThanOrEqual(300);
    const html = await (await fetch(`${a.url}/m/${owned.id}`)).text();
    const video = (/<video[^>]* src="([^"]+)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&');
    expect(Number(new URL(video).searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
  });

  it('answers 503 while S3 is away, changing nothing, and works once it is back', async () => {
    const key = randomBytes(24).toString('base64url');
    const film = sampleMeta(newId(), { title: 'Later', ownerKeyHash: createHash('sha256').update(key, 'utf8').digest('hex') });
    await uploadFilm(writer, s3.bucket, film, media);
    logLines.length = 0;
    await s3.stop();
    try {
      const res = await removeFilm(a, film.id, key);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    } finally {
      await s3.start();
    }
    expect(await objectsOf(film.id)).toContain(movieKeys(film.id).video);
    expect(logLines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    expect((await removeFilm(a, film.id, key)).status).toBe(200);
    expect(await objectsOf(film.id)).toEqual([movieKeys(film.id).removed]);
  });

  it('deletes the objects, leaves a tombstone, announces it, and no one brings the film back', async () => {
    const html = await (await fetch(`${a.url}/m/${owned.id}`)).text();
    const video = (/<video[^>]* src="([^"]+)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&');
    const before = await fetch(video, { headers: { range: 'bytes=0-99' } });
    expect(before.status).toBe(206);
    await before.arrayBuffer();

    const sub = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const notices: string[] = [];
    sub.on('message', (_channel: string, message: string) => notices.push(message));
    await sub.connect();
    await sub.subscribe(FILMS_CHANNEL);
    try {
      expect((await removeFilm(b, owned.id, randomBytes(24).toString('base64url'))).status).toBe(403);
      expect(await objectsOf(owned.id)).toContain(movieKeys(owned.id).video);

      expect((await removeFilm(b, owned.id, ownerKey)).status).toBe(200);
      expect(await objectsOf(owned.id)).toEqual([movieKeys(owned.id).removed]);
      const got = await writer.send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(owned.id).removed }));
      const tomb = tombstoneSchema.parse(JSON.parse((await got.Body?.transformToString()) ?? ''));
      expect(tomb).toMatchObject({ id: owned.id, by: 'owner' });
      await waitFor('the film.removed notice', () =>
        notices.some((n) => {
          const m = JSON.parse(n) as { type: string; id: string };
          return m.type === 'film.removed' && m.id === owned.id;
        }),
      );
    } finally {
      sub.disconnect();
    }
    // The page's URL stops working at once: there is nothing left behind it.
    const after = await fetch(video);
    expect(after.status).toBe(404);
    await after.arrayBuffer();

    await waitFor('the film to be gone from both instances', async () => {
      for (const g of [a, b]) {
        const ids = ((await (await fetch(`${g.url}/api/movies?limit=100`)).json()) as { movies: Array<{ id: string }> }).movies.map(
          (m) => m.id,
        );
        if (ids.includes(owned.id)) return false;
      }
      return true;
    });
    for (const g of [a, b]) {
      // Not "on its way" either: it is gone for good.
      expect((await fetch(`${g.url}/m/${owned.id}`)).status).toBe(404);
      expect((await fetch(`${g.url}/m/${owned.id}/download`, { redirect: 'manual' })).status).toBe(404);
      const api = await fetch(`${g.url}/api/movies/${owned.id}`);
      expect(api.status).toBe(404);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }

    // The admin cannot undo it, and sees it as removed by its owner.
    const unhide = await fetch(`${a.url}/api/admin/movies/${owned.id}/unhide`, { method: 'POST', headers: bearer });
    expect(unhide.status).toBe(410);
    expect(await unhide.json()).toMatchObject({ error: { code: 'gone', reason: 'removed' } });
    expect(await objectsOf(owned.id)).toEqual([movieKeys(owned.id).removed]);
    const adminList = (await (await fetch(`${a.url}/api/admin/movies`, { headers: bearer })).json()) as {
      movies: Array<{ id: string; state: string }>;
    };
    expect(adminList.movies.find((m) => m.id === owned.id)).toMatchObject({ state: 'removed' });
    const cookie = await login(a);
    const page = await (await fetch(`${a.url}/admin`, { headers: { cookie } })).text();
    expect(page).toContain('removed by its owner');
    expect(page).not.toContain(`action="/admin/m/${owned.id}/unhide"`);
    const form = await post(a, `/admin/m/${owned.id}/unhide`, {}, { cookie });
    expect(form.headers.get('location')).toContain('msg=removed');
    expect(await objectsOf(owned.id)).toEqual([movieKeys(owned.id).removed]);

    // A re-render that ignored the tombstone writes meta.json again: the gallery still shows nothing.
    await putMeta(writer, s3.bucket, owned);
    const refreshes = a.catalog.stats.refreshes + b.catalog.stats.refreshes;
    await redisCommand(redis.port, `PUBLISH ${FILMS_CHANNEL} ${JSON.stringify(JSON.stringify({ type: 'film.added', id: owned.id }))}`);
    await waitFor('a refresh after the re-upload', () => a.catalog.stats.refreshes + b.catalog.stats.refreshes > refreshes);
    for (const g of [a, b]) expect((await fetch(`${g.url}/m/${owned.id}`)).status).toBe(404);
    // The key clears away what came back, and then does nothing more.
    expect((await removeFilm(a, owned.id, ownerKey)).status).toBe(200);
    expect(await objectsOf(owned.id)).toEqual([movieKeys(owned.id).removed]);
    expect((await removeFilm(a, owned.id, ownerKey)).status).toBe(404);
  });
});

describe('titles with direction controls (item 11)', () => {
  it('never show or name a file with them', async () => {
    const html = await (await fetch(`${a.url}/m/${spoofed.id}`)).text();
    expect(html).toContain('Movie gnp.exe');
    expect(html).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/);
    const list = await (await fetch(`${a.url}/`)).text();
    expect(list).toContain('Movie gnp.exe');
    expect(list).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    const api = (await (await fetch(`${a.url}/api/movies/${spoofed.id}`)).json()) as { movie: { title: string } };
    expect(api.movie.title).toBe('Movie gnp.exe');
    const dl = await fetch(`${a.url}/m/${spoofed.id}/download`, { redirect: 'manual' });
    const s3res = await fetch(dl.headers.get('location') ?? '');
    const disposition = s3res.headers.get('content-disposition') ?? '';
    await s3res.arrayBuffer();
    const star = decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? '');
    expect(star).toBe('Movie gnp.exe.mp4');
    expect(disposition).not.toMatch(/%E2%80%AE/i);
    const cookie = await login(a);
    const admin = await (await fetch(`${a.url}/admin`, { headers: { cookie } })).text();
    expect(admin).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });
});

describe('admin sessions (item 17)', () => {
  it('are random per sign-in, shared by the instances, revoked on sign-out and expire', async () => {
    const first = await login(a);
    const second = await login(a);
    expect(first).toMatch(/^sms_admin=/);
    expect(first).not.toBe(second);
    for (const g of [a, b]) {
      expect(await signedIn(g, first)).toBe(true);
      expect(await signedIn(g, second)).toBe(true);
    }
    // The cache holds a digest of the session, never the cookie itself.
    const value = first.slice('sms_admin='.length);
    expect(await redisCommand(redis.port, `EXISTS stop-motion:gallery:${s3.bucket}:admin-session:${value}`)).toBe(':0');

    const out = await post(b, '/admin/logout', {}, { cookie: first });
    expect(out.status).toBe(303);
    for (const g of [a, b]) {
      expect(await signedIn(g, first)).toBe(false);
      expect(await signedIn(g, second)).toBe(true);
    }
    // A revoked cookie cannot act either.
    const target = listed[3] as FilmMeta;
    const act = await post(a, `/admin/m/${target.id}/hide`, {}, { cookie: first });
    expect(act.headers.get('location')).toContain('msg=sign_in');
    expect((await fetch(`${a.url}/m/${target.id}`)).status).toBe(200);

    const setCookie = (await post(a, '/admin/login', { token: ADMIN_TOKEN })).headers.get('set-cookie') ?? '';
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    offset += (maxAge + 1) * 1000;
    for (const g of [a, b]) expect(await signedIn(g, second)).toBe(false);
  });
});

describe('admin messages (item 18)', () => {
  it('show only known message codes', async () => {
    const text = 'Call 555-0100 to restore your account';
    for (const cookie of ['', await login(a)]) {
      const page = await (await fetch(`${a.url}/admin?msg=${encodeURIComponent(text)}`, { headers: { cookie } })).text();
      expect(page).not.toContain('555-0100');
    }
    const wrong = await post(a, '/admin/login', { token: 'wrong-token-wrong-token' });
    const location = wrong.headers.get('location') ?? '';
    expect(location).toBe('/admin?msg=wrong_token');
    expect(await (await fetch(`${a.url}${location}`)).text()).toContain('Wrong token');
  });

  it('are never repeated from a query into a cached page another visitor gets', async () => {
    const film = listed[7] as FilmMeta;
    for (const path of [`/m/${film.id}?note=Call+555-0100`, '/?note=Call+555-0100']) {
      expect(await (await fetch(`${a.url}${path}`)).text()).not.toContain('555-0100');
      expect(await (await fetch(`${a.url}${path.split('?')[0]}`)).text()).not.toContain('555-0100');
    }
  });
});

describe('cursors (item 19)', () => {
  it('answer 400 to a malformed or out-of-range cursor, with nothing logged as a failure', async () => {
    logLines.length = 0;
    for (const cursor of ['zzzzzzzzzzzz.AAAA', 'zzzzzzzzzz.AAAA', '..%2F', 'x'.repeat(5000), `1.${'A'.repeat(65)}`, 'abc&cursor=def']) {
      const page = await fetch(`${a.url}/?cursor=${cursor}`);
      expect(page.status, cursor).toBe(400);
      expect(page.headers.get('content-type')).toContain('text/html');
      const api = await fetch(`${a.url}/api/movies?cursor=${cursor}`);
      expect(api.status, cursor).toBe(400);
      expect(await api.json()).toMatchObject({ error: { code: 'bad_request', reason: 'bad_cursor' } });
    }
    // The longest cursor the pattern allows is still a real date (year 5188): it is simply past every film.
    expect((await fetch(`${a.url}/?cursor=zzzzzzzzz.AAAA`)).status).toBe(200);
    expect((await fetch(`${a.url}/api/movies?cursor=zzzzzzzzz.AAAA`)).status).toBe(200);
    expect(logLines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });

  it('are normalised, so made-up cursors cannot fill the page cache', async () => {
    const first = (await (await fetch(`${a.url}/api/movies?limit=5`)).json()) as { next: string };
    const [t36, id] = first.next.split('.') as [string, string];
    const t = Number.parseInt(t36, 36);
    // Warm the page the real cursor names.
    expect((await fetch(`${a.url}/?cursor=${first.next}`)).status).toBe(200);
    expect((await fetch(`${a.url}/api/movies?limit=5&cursor=${first.next}`)).status).toBe(200);
    const before = a.pageCacheEntries();
    const bodies = new Set<string>();
    for (let i = 0; i < 50; i++) {
      // Same position in the list as the real cursor: ids that sort just below it.
      const fake = `${t.toString(36)}.${id.slice(0, -2)}${String(i).padStart(2, '0')}`;
      const res = await fetch(`${a.url}/api/movies?limit=5&cursor=${fake}`);
      expect(res.status).toBe(200);
      bodies.add(await res.text());
      expect((await fetch(`${a.url}/?cursor=${fake}`)).status).toBe(200);
    }
    expect(a.pageCacheEntries() - before).toBeLessThanOrEqual(2);

    // Made-up cursors anywhere in the list: the HTML list renders one page per page of films.
    const view = await a.catalog.current();
    const pages = Math.ceil(view.films.length / 24) + 1;
    const htmlBefore = a.pageCacheEntries();
    // One made-up cursor just before each film: as many positions as there are films.
    for (const [i, film] of view.films.entries()) {
      expect((await fetch(`${a.url}/?cursor=${Date.parse(film.createdAt).toString(36)}.Made${i}`)).status).toBe(200);
    }
    expect(a.pageCacheEntries() - htmlBefore).toBeLessThanOrEqual(pages);
  });
});

describe('proxy hops (item 16)', () => {
  it('take the client address only from the configured number of proxies', async () => {
    const g = await start({ TRUST_PROXY: '1' });
    const id = newId();
    // The proxy appends the address it saw; anything before it is the client's own claim.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await removeFilm(g, id, ownerKey, { 'x-forwarded-for': `10.9.8.${i}, 203.0.113.7` })).status);
    }
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(404));
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Another client behind the same proxy has its own budget.
    expect((await removeFilm(g, id, ownerKey, { 'x-forwarded-for': '10.9.8.1, 203.0.113.8' })).status).toBe(404);
  });

  it('ignore X-Forwarded-For by default', async () => {
    const g = await start({});
    const id = newId();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await removeFilm(g, id, ownerKey, { 'x-forwarded-for': `10.9.9.${i}` })).status);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });
});

describe('admin token guessing (item 15)', () => {
  it('is limited before the token is checked, so the right guess after many wrong ones is refused too', async () => {
    const g = await start({});
    expect((await fetch(`${g.url}/api/admin/movies`, { headers: bearer })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${g.url}/api/admin/movies`, {
        headers: { authorization: `Bearer ${randomBytes(18).toString('base64url')}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(401);
    expect(statuses.slice(-5)).toEqual(Array(5).fill(429));
    expect((await fetch(`${g.url}/api/admin/movies`, { headers: bearer })).status).toBe(429);
    expect((await fetch(`${g.url}/api/admin/movies/${listed[0]?.id}/hide`, { method: 'POST', headers: bearer })).status).toBe(429);
    // The sign-in form shares the budget.
    expect((await post(g, '/admin/login', { token: ADMIN_TOKEN })).status).toBe(429);
  });
});
