// The catalog's Redis side against a real redis-server (and s3rver): the refresh
// lock, and a shared snapshot that is corrupt or not ours.
import { Writable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { freePort, type RedisService, redisCommand, type S3Service, startRedis, startS3 } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Catalog, parseSnapshot, withRefreshLock } from '../src/catalog.js';
import { createLogger } from '../src/log.js';
import { createFilmBucket } from '../src/s3.js';
import { type CacheStore, createMemoryStore, createRedisStore } from '../src/store.js';
import { newId, sampleMeta, uploadFilm } from './fixtures.js';

let redis: RedisService;
let s3: S3Service;
let client: S3Client;
const stores: CacheStore[] = [];
const quiet = createLogger({ level: 'silent' });

function redisStore(namespace: string, url = redis.url): CacheStore {
  const store = createRedisStore({ url, namespace, log: quiet });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  [redis, s3] = await Promise.all([startRedis(), startS3()]);
  client = s3.client();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.stop()));
  client?.destroy();
  await Promise.all([redis?.close(), s3?.close()]);
});

describe('withRefreshLock', () => {
  it('on Redis: one holder at a time, the key gone when the work ends or throws', async () => {
    const a = redisStore('lock-a');
    const b = redisStore('lock-a');
    await Promise.all([a.ready(5000), b.ready(5000)]);
    const key = () => redisCommand(redis.port, 'GET lock-a:refresh-lock');
    const outcome = await withRefreshLock(a, async () => ({ other: await withRefreshLock(b, async () => 'ran'), held: await key() }));
    // A 32-hex-digit token while held (the bulk reply's length line), and b did not run.
    expect(outcome).toEqual({ locked: true, value: { other: { locked: false }, held: '$32' } });
    expect(await key()).toBe('$-1');
    await expect(withRefreshLock(a, async () => Promise.reject(new Error('S3 failed')))).rejects.toThrow('S3 failed');
    expect(await key()).toBe('$-1');
    expect(await withRefreshLock(b, async () => 'ran')).toEqual({ locked: true, value: 'ran' });
  });

  it('throws when the cache cannot take the lock (nothing listens there)', async () => {
    const away = redisStore('lock-b', `redis://127.0.0.1:${await freePort()}`);
    const work = vi.fn(async () => 'ran');
    await expect(withRefreshLock(away, work)).rejects.toThrow();
    expect(work).not.toHaveBeenCalled();
  });

  it('keeps the lock past its TTL while the work runs, and stops extending it after', async () => {
    vi.useFakeTimers();
    try {
      const store = createMemoryStore();
      const extend = vi.spyOn(store, 'extendLock');
      let finish: (value: string) => void = () => {};
      const running = withRefreshLock(store, () => new Promise<string>((resolve) => (finish = resolve)), { ttlMs: 300 });
      await vi.advanceTimersByTimeAsync(1000); // more than three TTLs
      expect(extend).toHaveBeenCalledTimes(10);
      expect(await store.tryLock('another', 300)).toBe(false);
      finish('done');
      expect(await running).toEqual({ locked: true, value: 'done' });
      await vi.advanceTimersByTimeAsync(1000);
      expect(extend).toHaveBeenCalledTimes(10);
      expect(await store.tryLock('another', 300)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a shared snapshot that is corrupt or not ours', () => {
  const film = sampleMeta(newId(), { title: 'In S3' });
  beforeAll(() => uploadFilm(client, s3.bucket, film));

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"version":"v-bad","entr', /^not JSON$/],
    ['an older shape (a list)', JSON.stringify({ version: 'v-bad', films: [film] }), /^entries: /],
    [
      'a film under another key',
      JSON.stringify({ version: 'v-bad', entries: { X: { etag: '"1"', meta: film } } }),
      /^entries\.X: holds film /,
    ],
  ])('%s: logged with the reason, rebuilt from S3 and shared again', async (_name, text, reason) => {
    const namespace = `snap-${newId()}`;
    const store = redisStore(namespace);
    await store.ready(5000);
    const now = Date.now();
    // A fresh state: only the snapshot's fault can make the catalog refresh.
    await store.put({ version: 'v-bad', refreshedAt: now, startedAt: now, notices: [] }, text);
    const logs: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const bucket = createFilmBucket(client, s3.bucket, 5000);
    const options = { bucket, refreshSeconds: 60, updatesChannel: `${namespace}:updated` };
    const catalog = new Catalog({ ...options, store, log: createLogger({ level: 'warn', destination: sink }) });
    const view = await catalog.current();
    expect(view.films.map((f) => f.id)).toEqual([film.id]);
    expect(logs).toContainEqual(
      expect.objectContaining({ event: 'snapshot.invalid', version: 'v-bad', reason: expect.stringMatching(reason), level: 40 }),
    );
    expect(catalog.stats).toMatchObject({ refreshes: 1, adopted: 0 });
    const shared = parseSnapshot(await store.getSnapshot());
    expect(shared.ok && Object.keys(shared.snapshot.entries)).toEqual([film.id]);
    // Another instance now takes the rebuilt list from Redis without asking S3.
    const secondStore = redisStore(namespace);
    await secondStore.ready(5000);
    const second = new Catalog({ ...options, store: secondStore, log: quiet });
    expect((await second.current()).films.map((f) => f.id)).toEqual([film.id]);
    expect(second.stats).toMatchObject({ refreshes: 0, adopted: 1 });
    await Promise.all([catalog.stop(), second.stop()]);
  });
});
