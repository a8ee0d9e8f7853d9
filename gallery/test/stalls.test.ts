import { Writable } from 'node:stream';
import { type RedisService, redisCommand, type S3Service, startRedis, startS3, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gallery, loadConfig, startGallery } from '../src/index.js';
import { newId, sampleMeta, uploadFilm } from './fixtures.js';

/**
 * A stopped S3 server (SIGSTOP: the kernel still accepts connections, nothing answers)
 * is what a half-dead uplink looks like. Pages answer from what is known, and the list
 * refresh gives up instead of holding the shared refresh lock.
 */
describe('gallery with a stopped S3 server', () => {
  let s3: S3Service;
  let redis: RedisService;
  let gallery: Gallery;
  const logs: Array<Record<string, unknown>> = [];
  const known = newId();

  beforeAll(async () => {
    s3 = await startS3();
    redis = await startRedis();
    await uploadFilm(s3.client(), s3.bucket, sampleMeta(known, { title: 'Known before the outage' }));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    gallery = await startGallery({
      config: loadConfig({ ...s3.env(), REDIS_URL: redis.url, REFRESH_SECONDS: '1', S3_TIMEOUT_SECONDS: '2' }),
      logger: pino({ level: 'info' }, sink),
      host: '127.0.0.1',
      port: 0,
    });
  });

  afterAll(async () => {
    s3?.resume();
    await gallery?.close();
    await redis?.close();
    await s3?.close();
  });

  // A client-side limit far above the S3 deadline: only a hang reaches it.
  const get = (path: string) => fetch(`${gallery.url}${path}`, { signal: AbortSignal.timeout(60_000) });

  it('answers film pages from what it knows, gives up the refresh and the lock, and catches up on SIGCONT', async () => {
    await waitFor('the known film listed', async () => (await (await get('/')).text()).includes(known), { timeoutMs: 30_000 });
    const lockKey = `stop-motion:gallery:${s3.bucket}:refresh-lock`;
    const failuresBefore = logs.filter((l) => l.event === 'refresh.failed').length;
    await s3.pause();
    try {
      // A film the list does not have yet (the QR link opened at once): the page that says it is on its way.
      const fresh = newId();
      const page = await get(`/m/${fresh}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(fresh);
      expect(logs.some((l) => l.event === 'lookup.failed' && l.id === fresh)).toBe(true);
      // A known film still plays from the last known list.
      const film = await get(`/m/${known}`);
      expect(film.status).toBe(200);
      expect(await film.text()).toContain('Known before the outage');
      // The list is stale after a second: the refresh starts, fails at its deadline and lets go of the lock.
      await waitFor(
        'a failed refresh',
        async () => {
          await get('/');
          return logs.filter((l) => l.event === 'refresh.failed').length > failuresBefore;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      await waitFor('the refresh lock released', async () => (await redisCommand(redis.port, `GET ${lockKey}`)) === '$-1', {
        timeoutMs: 30_000,
      });
    } finally {
      s3.resume();
    }
    const later = newId();
    await uploadFilm(s3.client(), s3.bucket, sampleMeta(later, { title: 'After the outage' }));
    await waitFor('the new film listed', async () => (await (await get('/')).text()).includes(later), { timeoutMs: 60_000 });
  });
});
