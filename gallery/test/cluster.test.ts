import { createHash, randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type RedisService, redisCommand, type S3Service, startRedis, startS3, waitFor } from '@stop-motion/e2e';
import { createLogger, type Gallery, loadConfig, startGallery } from '@stop-motion/gallery';
import { FILMS_CHANNEL, type FilmMeta, movieKeys } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRequests, type MediaFixture, makeMedia, newId, putMeta, sampleMeta, uploadFilm } from './fixtures.js';

const REFRESH_SECONDS = 60;
const ADMIN_TOKEN = randomBytes(18).toString('base64url');

let redis: RedisService;
let s3: S3Service;
let media: MediaFixture;
let galleries: Gallery[] = [];
let writer: S3Client;
const counters: Array<ReturnType<typeof countRequests>> = [];
/** The galleries' clock: the test moves it past the refresh period instead of waiting a minute. */
let offset = 0;
const now = () => Date.now() + offset;
const films: FilmMeta[] = [];
const ownerKey = randomBytes(24).toString('base64url');
let ownedId = '';

const count = (name: string) => counters.reduce((n, c) => n + (c.counts[name] ?? 0), 0);
const resetCounts = () => {
  for (const c of counters) c.reset();
};

async function listIds(g: Gallery): Promise<{ status: number; ids: string[] }> {
  const res = await fetch(`${g.url}/api/movies?limit=100`);
  const body = (await res.json()) as { movies: Array<{ id: string }> };
  return { status: res.status, ids: body.movies?.map((m) => m.id) ?? [] };
}

/** `n` requests spread over the instances, all at once. */
async function burst(n: number, path = '/api/movies?limit=100'): Promise<Array<{ status: number; body: string }>> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const g = galleries[i % galleries.length] as Gallery;
      const res = await fetch(`${g.url}${path}`);
      return { status: res.status, body: await res.text() };
    }),
  );
}

beforeAll(async () => {
  [redis, s3, media] = await Promise.all([startRedis(), startS3(), makeMedia()]);
  writer = s3.client();
  const base = Date.now() - 3600_000;
  for (let i = 0; i < 5; i++) {
    const id = newId(base + i * 1000);
    const meta = sampleMeta(id, { createdAt: new Date(base + i * 1000).toISOString() });
    films.push(meta);
    await uploadFilm(writer, s3.bucket, meta, media);
  }
  ownedId = newId(base + 10_000);
  const owned = sampleMeta(ownedId, {
    title: 'Owned film',
    createdAt: new Date(base + 10_000).toISOString(),
    ownerKeyHash: createHash('sha256').update(ownerKey, 'utf8').digest('hex'),
  });
  films.push(owned);
  await uploadFilm(writer, s3.bucket, owned, media);
  const config = loadConfig({
    ...s3.env(),
    REDIS_URL: redis.url,
    REFRESH_SECONDS: String(REFRESH_SECONDS),
    GALLERY_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger({ level: process.env.GALLERY_TEST_LOG ?? 'error' });
  for (let i = 0; i < 3; i++) {
    const client = createS3Client({ ...s3, forcePathStyle: true });
    counters.push(countRequests(client));
    galleries.push(await startGallery({ config, logger, s3Client: client, now, host: '127.0.0.1', port: 0 }));
  }
});

afterAll(async () => {
  await Promise.all(galleries.map((g) => g.close()));
  galleries = [];
  await Promise.all([redis?.close(), s3?.close(), media?.remove()]);
});

describe('three instances on one Redis', () => {
  it('answer a cold burst of 100 requests with exactly one refresh', async () => {
    const results = await burst(100);
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const r of results) expect((JSON.parse(r.body) as { movies: unknown[] }).movies).toHaveLength(films.length);
    // No second refresher may turn up later either.
    await new Promise((r) => setTimeout(r, 1500));
    await burst(30);
    await new Promise((r) => setTimeout(r, 300));
    expect(count('ListObjectsV2Command')).toBe(1);
    expect(count('GetObjectCommand')).toBe(films.length);
  });

  it('refresh exactly once for a burst of 100 after the list expires, fetching nothing unchanged', async () => {
    // Let every instance adopt the shared list first.
    await waitFor('all instances to hold the list', async () => {
      for (const g of galleries) if ((await listIds(g)).ids.length !== films.length) return false;
      return true;
    });
    resetCounts();
    offset += REFRESH_SECONDS * 1000 + 1000;
    const results = await burst(100);
    expect(results.every((r) => r.status === 200)).toBe(true);
    await waitFor('the refresh', () => count('ListObjectsV2Command') >= 1);
    // Give any second refresher every chance to show up: more requests over more than a sync period.
    await new Promise((r) => setTimeout(r, 1500));
    await burst(30);
    await new Promise((r) => setTimeout(r, 300));
    expect(count('ListObjectsV2Command')).toBe(1);
    expect(count('GetObjectCommand')).toBe(0);
  });

  it('shows a processor notice on every instance, fetching only the new meta.json', async () => {
    resetCounts();
    const id = newId();
    const meta = sampleMeta(id, { title: 'Brand new' });
    await uploadFilm(writer, s3.bucket, meta, media);
    films.push(meta);
    await redisCommand(redis.port, `PUBLISH ${FILMS_CHANNEL} ${JSON.stringify(JSON.stringify({ type: 'film.added', id }))}`);
    await waitFor(
      'the new film on all instances',
      async () => {
        for (const g of galleries) if (!(await listIds(g)).ids.includes(id)) return false;
        return true;
      },
      { timeoutMs: 30_000 },
    );
    expect(count('GetObjectCommand')).toBe(1);
  });

  it('drop a film hidden by the admin from all three instances', async () => {
    const target = films[1] as FilmMeta;
    const denied = await fetch(`${galleries[2]?.url}/api/admin/movies/${target.id}/hide`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-token-wrong-token' },
    });
    expect(denied.status).toBe(401);
    const res = await fetch(`${galleries[0]?.url}/api/admin/movies/${target.id}/hide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    await waitFor(
      'the hidden film to leave every instance',
      async () => {
        for (const g of galleries) if ((await listIds(g)).ids.includes(target.id)) return false;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    for (const g of galleries) expect((await fetch(`${g.url}/m/${target.id}`)).status).toBe(404);
    const got = await writer.send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(target.id).meta }));
    const stored = JSON.parse((await got.Body?.transformToString()) ?? '{}') as FilmMeta;
    expect(stored.hidden).toBe(true);
  });

  it('let the owner remove a film only with the right key', async () => {
    const remove = (g: Gallery, key: string) =>
      fetch(`${g.url}/api/movies/${ownedId}/remove`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key }),
      });
    const wrong = await remove(galleries[1] as Gallery, randomBytes(24).toString('base64url'));
    expect(wrong.status).toBe(403);
    const notAKey = await remove(galleries[1] as Gallery, '<script>');
    expect(notAKey.status).toBe(400);
    await new Promise((r) => setTimeout(r, 500));
    for (const g of galleries) expect((await listIds(g)).ids).toContain(ownedId);
    const right = await remove(galleries[1] as Gallery, ownerKey);
    expect(right.status).toBe(200);
    await waitFor(
      'the removed film to leave every instance',
      async () => {
        for (const g of galleries) if ((await listIds(g)).ids.includes(ownedId)) return false;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // Once removed, the key does nothing more.
    expect((await remove(galleries[2] as Gallery, ownerKey)).status).toBe(404);
  });

  it('keep answering 200 with films while Redis is down, and share the cache again when it is back', async () => {
    const visible = (await listIds(galleries[0] as Gallery)).ids.length;
    expect(visible).toBeGreaterThan(0);
    // Requests keep flowing, ten at a time, while Redis is SIGKILLed in the middle of them.
    const statuses: number[] = [];
    const counts: number[] = [];
    let sent = 0;
    let killed: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (sent < 200) {
          const i = sent++;
          if (i === 60) killed = redis.kill();
          const g = galleries[i % galleries.length] as Gallery;
          const res = await fetch(`${g.url}/api/movies?limit=100`);
          statuses.push(res.status);
          counts.push(((await res.json()) as { movies: unknown[] }).movies.length);
        }
      }),
    );
    await killed;
    expect(redis.running()).toBe(false);
    expect(statuses).toEqual(Array(200).fill(200));
    expect(counts).toEqual(Array(200).fill(visible));
    for (const path of ['/api/movies?limit=100', '/']) {
      const results = await burst(30, path);
      expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
      if (path.startsWith('/api')) {
        for (const r of results) expect((JSON.parse(r.body) as { movies: unknown[] }).movies).toHaveLength(visible);
      }
    }
    // The list expires while Redis is away: each instance refreshes on its own and keeps serving.
    offset += REFRESH_SECONDS * 1000 + 1000;
    const duringOutage = await burst(30);
    expect(duringOutage.every((r) => r.status === 200)).toBe(true);
    const health = (await (await fetch(`${galleries[0]?.url}/healthz`)).json()) as { cacheReachable: boolean };
    expect(health.cacheReachable).toBe(false);

    await redis.start();
    await waitFor('every instance to reconnect', () => galleries.every((g) => g.store.healthy()), { timeoutMs: 15_000 });
    // Redis came back empty: the next refresh is shared again, once for all three.
    await new Promise((r) => setTimeout(r, 1200));
    resetCounts();
    offset += REFRESH_SECONDS * 1000 + 1000;
    const results = await burst(100);
    expect(results.every((r) => r.status === 200)).toBe(true);
    await waitFor(
      'the shared refresh',
      async () => (await redisCommand(redis.port, 'KEYS *state')).length > 0 && count('ListObjectsV2Command') >= 1,
    );
    await new Promise((r) => setTimeout(r, 1500));
    await burst(30);
    await new Promise((r) => setTimeout(r, 300));
    expect(count('ListObjectsV2Command')).toBe(1);
    expect(count('GetObjectCommand')).toBe(0);
    const exists = await redisCommand(redis.port, `EXISTS stop-motion:gallery:${s3.bucket}:state`);
    expect(exists).toBe(':1');
    // The subscriptions came back too: a notice reaches all three again.
    const target = films[4] as FilmMeta;
    const res = await fetch(`${galleries[2]?.url}/api/admin/movies/${target.id}/hide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    await waitFor(
      'the hidden film to leave every instance after the restart',
      async () => {
        for (const g of galleries) if ((await listIds(g)).ids.includes(target.id)) return false;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  });

  it('notices deleted films and changed meta.json on the next refresh, fetching only what changed', async () => {
    const gone = films[2] as FilmMeta;
    const changed = { ...(films[3] as FilmMeta), title: 'Renamed' };
    await writer.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: movieKeys(gone.id).meta }));
    await putMeta(writer, s3.bucket, changed);
    await new Promise((r) => setTimeout(r, 1100));
    resetCounts();
    offset += REFRESH_SECONDS * 1000 + 1000;
    await burst(10);
    await waitFor('the list to change on every instance', async () => {
      for (const g of galleries) if ((await listIds(g)).ids.includes(gone.id)) return false;
      return true;
    });
    expect(count('ListObjectsV2Command')).toBe(1);
    expect(count('GetObjectCommand')).toBe(1);
    const one = (await (await fetch(`${galleries[2]?.url}/api/movies/${changed.id}`)).json()) as { movie: { title: string } };
    expect(one.movie.title).toBe('Renamed');
  });
});
