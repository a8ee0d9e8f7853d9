/**
 * Gallery benchmarks, printed and not asserted (npm run bench -w @stop-motion/gallery):
 *  1. throughput and p99 of `/` and `/api/movies` with 1,000 films cached, at 50
 *     connections, as a ratio to a route of the same server sending a precomputed
 *     body of the same size;
 *  2. a cold refresh of 10,000 films from S3 and the refresh after one new film:
 *     S3 requests and time.
 *  3. Lighthouse scores of `/` and `/m/:id` (bench/lighthouse.ts; BENCH_LIGHTHOUSE=0 skips it).
 *  4. `/?cursor=` with a different made-up cursor on every request, as a ratio to one
 *     real cursor repeated: CPU (req/s), page-cache entries and heap growth.
 * BENCH_ONLY=cursors runs only the last one.
 * BENCH_SECONDS (default 8) sets the length of each autocannon run; BENCH_FILMS_BIG
 * (default 10000) the size of the big library.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, startS3 } from '@stop-motion/e2e';
import { type FilmMeta, movieKeys } from '@stop-motion/protocol';
import autocannon from 'autocannon';
import { monotonicFactory } from 'ulid';
import { Catalog } from '../src/catalog.js';
import { loadConfig } from '../src/config.js';
import { type Gallery, startGallery } from '../src/index.js';
import { createLogger } from '../src/log.js';
import { createFilmBucket } from '../src/s3.js';
import { createMemoryStore } from '../src/store.js';
import { countRequests } from '../test/fixtures.js';
import { lighthouse } from './lighthouse.js';
import { precomputedRoute } from './precomputed.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const BIG = Number(process.env.BENCH_FILMS_BIG ?? 10_000);
const ulid = monotonicFactory();
const log = createLogger({ level: 'silent' });

function meta(i: number, at: number): FilmMeta {
  const id = ulid(at);
  return {
    id,
    title: i % 3 === 0 ? `הסרט ${i}` : `Film number ${i}`,
    stationId: `station-${i % 4}`,
    createdAt: new Date(at).toISOString(),
    durationSec: 8.5,
    fps: 10,
    frameCount: 85,
    width: 1280,
    height: 720,
  };
}

async function putMany(s3: S3Client, bucket: string, metas: FilmMeta[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < metas.length) {
        const m = metas[next++] as FilmMeta;
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: movieKeys(m.id).meta, Body: JSON.stringify(m), ContentType: 'application/json' }),
        );
      }
    }),
  );
}

function fill(n: number): FilmMeta[] {
  const t0 = Date.now() - n * 60_000;
  return Array.from({ length: n }, (_, i) => meta(i, t0 + i * 60_000));
}

async function cannon(url: string, seconds = SECONDS): Promise<{ rps: number; p99: number; bytes: number }> {
  const result = await autocannon({ url, connections: 50, duration: seconds, pipelining: 1 });
  return { rps: result.requests.average, p99: result.latency.p99, bytes: result.throughput.average / Math.max(1, result.requests.average) };
}

const fmt = (n: number, d = 0) => n.toFixed(d);

/** A gallery on its own s3rver holding 1,000 films, for `run`; both are stopped after it. */
async function withThousandFilms(run: (gallery: Gallery) => Promise<void>, extraRoutes?: typeof precomputedRoute): Promise<void> {
  const s3 = await startS3();
  try {
    await putMany(s3.client(), s3.bucket, fill(1000));
    const gallery = await startGallery({
      config: loadConfig({ ...s3.env(), LOG_LEVEL: 'silent' }),
      logger: log,
      host: '127.0.0.1',
      port: 0,
      ...(extraRoutes ? { extraRoutes } : {}),
    });
    try {
      await run(gallery);
    } finally {
      await gallery.close();
    }
  } finally {
    await s3.close();
  }
}

async function throughput(): Promise<void> {
  await withThousandFilms(async (gallery) => {
    await gallery.catalog.current();
    console.log(`\n## Throughput, 1,000 films cached, 50 connections, ${SECONDS} s per run (autocannon in the same process)\n`);
    console.log('| route | req/s | p99 ms | body bytes | baseline req/s | baseline p99 ms | ratio |');
    console.log('|---|---|---|---|---|---|---|');
    for (const path of ['/', '/api/movies']) {
      // Warm both (JIT, caches) with a short run each, then measure the baseline right before the route.
      await cannon(`${gallery.url}${path}`, 1);
      await cannon(`${gallery.url}/_bench/precomputed?path=${encodeURIComponent(path)}`, 1);
      const base = await cannon(`${gallery.url}/_bench/precomputed?path=${encodeURIComponent(path)}`);
      const real = await cannon(`${gallery.url}${path}`);
      console.log(
        `| \`${path}\` | ${fmt(real.rps)} | ${real.p99} | ${fmt(real.bytes)} | ${fmt(base.rps)} | ${base.p99} | ${fmt(real.rps / base.rps, 2)} |`,
      );
    }
  }, precomputedRoute);
}

async function bigRefresh(): Promise<void> {
  const s3 = await startS3();
  try {
    const t0 = performance.now();
    await putMany(s3.client(), s3.bucket, fill(BIG));
    const uploadMs = performance.now() - t0;
    const client = createS3Client({ ...s3, forcePathStyle: true });
    const counter = countRequests(client);
    const catalog = new Catalog({
      bucket: createFilmBucket(client, s3.bucket),
      store: createMemoryStore(),
      log,
      refreshSeconds: 60,
      updatesChannel: 'bench',
    });
    const phase = async (name: string, base: Parameters<Catalog['refreshFromS3']>[0]) => {
      counter.reset();
      const t = performance.now();
      const out = await catalog.refreshFromS3(base);
      const ms = performance.now() - t;
      const list = counter.counts.ListObjectsV2Command ?? 0;
      const gets = counter.counts.GetObjectCommand ?? 0;
      console.log(`| ${name} | ${list} | ${gets} | ${counter.total()} | ${fmt(ms)} |`);
      return out;
    };
    console.log(`\n## Refresh of ${BIG.toLocaleString('en')} films in S3 (s3rver; uploading them took ${fmt(uploadMs / 1000, 1)} s)\n`);
    console.log('| refresh | list pages | meta.json GETs | S3 requests | time ms |');
    console.log('|---|---|---|---|---|');
    const cold = await phase('cold (empty cache)', null);
    const same = await phase('nothing changed', cold.snapshot);
    await putMany(s3.client(), s3.bucket, [meta(BIG, Date.now())]);
    await phase('one new film', same.snapshot);
    console.log('\nGoal for an incremental refresh: ≤ list pages + 1 requests.');
    client.destroy();
  } finally {
    await s3.close();
  }
}

async function madeUpCursors(): Promise<void> {
  await withThousandFilms(async (gallery) => {
    const view = await gallery.catalog.current();
    const real = view.films[23] as FilmMeta;
    const cursor = `${Date.parse(real.createdAt).toString(36)}.${real.id}`;
    const newest = Date.parse((view.films[0] as FilmMeta).createdAt);
    const oldest = Date.parse((view.films[view.films.length - 1] as FilmMeta).createdAt);
    const run = async (route: string, unique: boolean) => {
      const entries = gallery.pageCacheEntries();
      let n = 0;
      // Made-up cursors: a valid shape, a time among the films' and an id, each one new.
      const path = () =>
        unique
          ? `${route}cursor=${(oldest + Math.floor(Math.random() * (newest - oldest))).toString(36)}.X${(n++).toString(36)}`
          : `${route}cursor=${cursor}`;
      const result = await autocannon({
        url: gallery.url,
        connections: 20,
        duration: SECONDS,
        requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }],
      });
      return { rps: result.requests.average, non2xx: result.non2xx, entries: gallery.pageCacheEntries() - entries };
    };
    console.log(`\n## Made-up cursors, 1,000 films, 20 connections, ${SECONDS} s per run (same process)\n`);
    console.log(
      '| route | one real cursor req/s (baseline) | made-up cursors, first run: req/s, new cache entries | made-up cursors, second run: req/s, new cache entries | ratio of the second run |',
    );
    console.log('|---|---|---|---|---|');
    for (const route of ['/?', '/api/movies?limit=24&']) {
      await run(route, false);
      const base = await run(route, false);
      const unique = await run(route, true);
      // Every page is rendered once by now: from here on made-up cursors cost what a real one does.
      const again = await run(route, true);
      const bad = base.non2xx + unique.non2xx + again.non2xx ? ` (non-2xx: ${base.non2xx + unique.non2xx + again.non2xx})` : '';
      console.log(
        `| \`${route.slice(0, -1)}\` | ${fmt(base.rps)} | ${fmt(unique.rps)}, ${unique.entries} | ${fmt(again.rps)}, ${again.entries} | ${fmt(again.rps / base.rps, 2)}${bad} |`,
      );
    }
  });
}

if (process.env.BENCH_ONLY !== 'cursors') {
  await throughput();
  await bigRefresh();
  if (process.env.BENCH_LIGHTHOUSE !== '0') await lighthouse();
}
await madeUpCursors();
process.exit(0);
