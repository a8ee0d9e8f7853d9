/**
 * The foyer wall's memory after two hours of arriving films, time compressed, printed
 * and not asserted (npm run bench:wall -w @stop-motion/gallery).
 *
 * Two hours of a busy event, one film every 15 s from the stations, is 480 films; a
 * tenth of them hidden again by the moderator. Here they arrive every
 * BENCH_WALL_INTERVAL_MS (250) the processor's way (objects, meta.json last, then
 * `film.added` on a real Redis), on s3rver, while Debian's Chromium shows `/wall`
 * with 6 tiles. The films last 1 s, so every tile changes film every second: more
 * video sources loaded and released than two real hours of 30-second films make on
 * 6 tiles (about 1,440). PRESIGN_SECONDS is at its minimum (60), so the list is
 * re-sent with renewed links every 30 s as well.
 *
 * The JS heap is read through the Chrome DevTools Protocol (HeapProfiler.collectGarbage,
 * then Performance.getMetrics JSHeapUsedSize) after the first films (the baseline) and
 * at the end, with the DOM node and listener counts; goal: growth ≤ 10 MB.
 * BENCH_WALL_FILMS (480) changes the number of arrivals.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CDPSession, chromium } from '@playwright/test';
import { chromiumLaunchOptions, startRedis, startS3, tempDir } from '@stop-motion/e2e';
import { FILMS_CHANNEL, type FilmMeta, movieKeys } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { loadConfig } from '../src/config.js';
import { startGallery } from '../src/index.js';
import { createLogger } from '../src/log.js';

const run = promisify(execFile);
const FILMS = Number(process.env.BENCH_WALL_FILMS ?? 480);
const INTERVAL_MS = Number(process.env.BENCH_WALL_INTERVAL_MS ?? 250);
const BASELINE_FILMS = 12;
const TILES = 6;
const GOAL_MB = 10;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ulid = monotonicFactory();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => bytes / 1024 / 1024;

async function makeFilm(): Promise<{ video: Buffer; poster: Buffer }> {
  const dir = await tempDir('wall-bench');
  try {
    const video = path.join(dir.path, 'movie.mp4');
    const poster = path.join(dir.path, 'poster.jpg');
    const common = ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi'];
    await run('ffmpeg', [
      ...common,
      '-i',
      'testsrc2=size=320x240:rate=10:duration=1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      video,
    ]);
    await run('ffmpeg', [...common, '-i', 'testsrc2=size=320x240', '-frames:v', '1', poster]);
    return { video: await readFile(video), poster: await readFile(poster) };
  } finally {
    await dir.remove();
  }
}

async function deliver(s3: S3Client, bucket: string, m: FilmMeta, film: { video: Buffer; poster: Buffer }): Promise<void> {
  const keys = movieKeys(m.id);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.video, Body: film.video, ContentType: 'video/mp4' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.poster, Body: film.poster, ContentType: 'image/jpeg' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.meta, Body: JSON.stringify(m), ContentType: 'application/json' }));
}

interface Sample {
  heap: number;
  nodes: number;
  listeners: number;
}

async function sample(cdp: CDPSession): Promise<Sample> {
  // Twice: the first pass frees what finalizers of the first may release.
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  return { heap: get('JSHeapUsedSize'), nodes: get('Nodes'), listeners: get('JSEventListeners') };
}

async function main(): Promise<void> {
  const [s3, redis, film] = await Promise.all([startS3(), startRedis(), makeFilm()]);
  const publisher = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const gallery = await startGallery({
    config: loadConfig({
      ...s3.env(),
      REDIS_URL: redis.url,
      GALLERY_ADMIN_TOKEN: ADMIN_TOKEN,
      PRESIGN_SECONDS: '60',
      LOG_LEVEL: 'silent',
    }),
    logger: createLogger({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
  });
  const browser = await chromium.launch(chromiumLaunchOptions());
  let delivered = 0;
  let hidden = 0;
  const visible: string[] = [];
  const arrive = async () => {
    const at = Date.now();
    const m: FilmMeta = {
      id: ulid(at),
      title: delivered % 3 === 0 ? `הסרט ${delivered}` : `Film ${delivered}`,
      stationId: `station-${delivered % 4}`,
      createdAt: new Date(at).toISOString(),
      durationSec: 1,
      fps: 10,
      frameCount: 10,
      width: 320,
      height: 240,
    };
    await deliver(s3.client(), s3.bucket, m, film);
    await publisher.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.added', id: m.id, at: m.createdAt }));
    delivered++;
    visible.push(m.id);
    // A tenth go away again, the moderator hiding one of the newest (on the wall at the time).
    if (delivered % 10 === 0) {
      const id = visible.splice(visible.length - 3, 1)[0] as string;
      const res = await fetch(`${gallery.url}/api/admin/movies/${id}/hide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      if (res.ok) hidden++;
    }
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    // Counts the films the tiles started (one number; the page's own state is what is measured).
    await page.addInitScript(() => {
      const w = window as unknown as { starts: number };
      w.starts = 0;
      new MutationObserver((records) => {
        for (const r of records) if ((r.target as Element).hasAttribute('data-id')) w.starts++;
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-id'] });
    });
    const starts = () => page.evaluate(() => (window as unknown as { starts: number }).starts);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`${gallery.url}/wall?tiles=${TILES}`);

    for (let i = 0; i < BASELINE_FILMS; i++) {
      await arrive();
      await sleep(INTERVAL_MS);
    }
    await page.waitForFunction((n) => Number(document.getElementById('wall')?.getAttribute('data-films')) >= n, BASELINE_FILMS - 2);
    await sleep(5000);
    const base = await sample(cdp);
    const baseStarts = await starts();
    const t0 = performance.now();
    console.log(`\n## Wall memory: ${FILMS} arrivals (${FILMS / 4} min of an event at one film per 15 s), one every ${INTERVAL_MS} ms\n`);
    console.log('| films delivered | tile starts | JS heap (MB) | growth (MB) | DOM nodes | listeners |');
    console.log('|---|---|---|---|---|---|');
    const row = async (s: Sample) =>
      console.log(
        `| ${delivered} | ${(await starts()) - baseStarts} | ${mb(s.heap).toFixed(2)} | ${mb(s.heap - base.heap).toFixed(2)} | ${s.nodes} | ${s.listeners} |`,
      );
    await row(base);
    while (delivered < FILMS) {
      await arrive();
      await sleep(INTERVAL_MS);
      if (delivered % 120 === 0) await row(await sample(cdp));
    }
    // Let the last notices and rotations land, then measure.
    await sleep(10_000);
    const end = await sample(cdp);
    await row(end);
    const growth = mb(end.heap - base.heap);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `\nJS heap after the first ${BASELINE_FILMS} films: ${mb(base.heap).toFixed(2)} MB; after ${delivered} (${hidden} hidden again), ` +
        `${((await starts()) - baseStarts).toLocaleString('en')} tile starts in ${seconds.toFixed(0)} s: ${mb(end.heap).toFixed(2)} MB — ` +
        `growth ${growth.toFixed(2)} MB, ${(end.heap / base.heap).toFixed(3)}× the baseline ` +
        `(goal ≤ ${GOAL_MB} MB: ${growth <= GOAL_MB ? 'met' : 'NOT met'}); DOM nodes ${base.nodes} → ${end.nodes} (${(end.nodes / base.nodes).toFixed(2)}×), ` +
        `listeners ${base.listeners} → ${end.listeners}${end.nodes > base.nodes * 1.1 || end.listeners > base.listeners ? ' — the DOM GREW' : ' (flat)'}`,
    );
    if (errors.length) console.log(`page errors: ${errors.slice(0, 5).join('; ')}`);
  } finally {
    await browser.close();
    await gallery.close();
    publisher.disconnect();
    await redis.close();
    await s3.close();
  }
}

await main();
process.exit(0);
