import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { type RedisService, startRedis, tempDir } from '@stop-motion/e2e/harness';
import { FILMS_CHANNEL, type FilmMeta, type FilmNotice } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import { type Media, makeMedia, meta, newId, type Site, startSite, upload } from './helpers.js';

const run = promisify(execFile);
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const EVENT_NAME = 'Festival 2026 — the foyer';

let site: Site;
let redis: RedisService;
let publisher: Redis;
let media: Media;
/** Longer than any wait here: a tile showing it moves on only because the wall took it off. */
let long: Media;
let first: FilmMeta;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // Short films, so that tiles end and rotate within a test.
  [media, long] = await Promise.all([makeMedia({ seconds: 2 }), makeMedia({ seconds: 40 })]);
  redis = await startRedis();
  publisher = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await publisher.connect();
  first = meta(newId(), { title: 'The First Film', durationSec: 2, frameCount: 20 });
  site = await startSite(async (s3) => upload(s3.client(), s3.bucket, first, media), {
    REDIS_URL: redis.url,
    GALLERY_ADMIN_TOKEN: ADMIN_TOKEN,
    EVENT_NAME,
    // A ping every 2 s: a silent stream is dropped after 6 s rather than a minute.
    WALL_PING_SECONDS: '2',
  });
});

test.afterAll(async () => {
  publisher?.disconnect();
  await site?.close();
  await redis?.close();
});

const notify = (type: FilmNotice['type'], id: string) =>
  publisher.publish(FILMS_CHANNEL, JSON.stringify({ type, id, at: new Date().toISOString() } satisfies FilmNotice));

/** As the processor delivers a film: its objects, meta.json last, then `film.added` on Redis. */
async function arrive(over: Partial<FilmMeta> = {}, media_: Media = media): Promise<FilmMeta> {
  const m = meta(newId(), { durationSec: 2, frameCount: 20, ...over });
  await upload(site.s3.client(), site.s3.bucket, m, media_);
  await notify('film.added', m.id);
  return m;
}

/** Every film id any tile has shown since the page loaded, and every CSP violation. */
async function watch(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { seen: string[]; violations: string[] };
    w.seen = [];
    w.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    new MutationObserver((records) => {
      for (const r of records) {
        const id = (r.target as Element).getAttribute?.('data-id');
        if (id && !w.seen.includes(id)) w.seen.push(id);
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-id'] });
  });
}
const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: string[] }).seen);
const violations = (page: Page) => page.evaluate(() => (window as unknown as { violations: string[] }).violations);
const tile = (page: Page, id: string) => page.locator(`.tile[data-id="${id}"]`);
const playing = (page: Page, id: string) =>
  tile(page, id)
    .locator('video')
    .evaluate((v: HTMLVideoElement) => ({ t: v.currentTime, muted: v.muted }));

test('films appear on the wall as they arrive, muted and playing, in a grid that never grows', async ({ page }) => {
  await watch(page);
  await page.goto(`${site.url}/wall?tiles=2`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(EVENT_NAME);
  await expect(tile(page, first.id)).toBeVisible();
  await expect.poll(async () => (await playing(page, first.id)).t).toBeGreaterThan(0.2);
  expect((await playing(page, first.id)).muted).toBe(true);

  const second = await arrive({ title: 'Just Made' });
  await expect(tile(page, second.id)).toBeVisible();
  await expect(tile(page, second.id).locator('.tile-title')).toHaveText('Just Made');
  await expect.poll(async () => (await playing(page, second.id)).t).toBeGreaterThan(0.2);

  // More arrivals than tiles: each one gets its turn, on the same two recycled video elements.
  const more = [await arrive(), await arrive(), await arrive()];
  for (const m of more) await expect.poll(async () => (await seen(page)).includes(m.id), { message: m.id, timeout: 30_000 }).toBe(true);
  await expect(page.locator('.tile')).toHaveCount(2);
  await expect(page.locator('video')).toHaveCount(2);
  expect(await violations(page)).toEqual([]);
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
});

test('a film hidden before it arrives never shows; one hidden by the moderator or removed by its owner leaves at once', async ({
  page,
}) => {
  const key = randomBytes(24).toString('base64url');
  const toHide = await arrive({ title: 'To Hide', durationSec: 40 }, long);
  const toRemove = await arrive(
    { title: 'To Remove', durationSec: 40, ownerKeyHash: createHash('sha256').update(key).digest('hex') },
    long,
  );
  await watch(page);
  await page.goto(`${site.url}/wall?tiles=6`);
  await expect(tile(page, toHide.id)).toBeVisible();
  await expect(tile(page, toRemove.id)).toBeVisible();

  // Delivered already hidden (MODERATION), with its notice: never on the wall, not even for a moment.
  const hiddenOnArrival = await arrive({ hidden: true });
  const after = await arrive();
  await expect(tile(page, after.id)).toBeVisible();

  const hide = await fetch(`${site.url}/api/admin/movies/${toHide.id}/hide`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(hide.status).toBe(200);
  await expect(tile(page, toHide.id)).toHaveCount(0);

  const removal = await fetch(`${site.url}/api/movies/${toRemove.id}/remove`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  expect(removal.status).toBe(200);
  await expect(tile(page, toRemove.id)).toHaveCount(0);
  expect(await seen(page)).not.toContain(hiddenOnArrival.id);

  // They stay gone through the next arrival and the rotation it causes.
  await page.evaluate(() => {
    (window as unknown as { seen: string[] }).seen = [];
  });
  const last = await arrive();
  await expect(tile(page, last.id)).toBeVisible();
  await expect.poll(async () => (await seen(page)).length, { timeout: 30_000 }).toBeGreaterThan(3);
  expect(await seen(page)).not.toEqual(expect.arrayContaining([toHide.id]));
  expect(await seen(page)).not.toEqual(expect.arrayContaining([toRemove.id]));
  expect(await seen(page)).not.toEqual(expect.arrayContaining([hiddenOnArrival.id]));
  await expect(tile(page, toHide.id)).toHaveCount(0);
  await expect(tile(page, toRemove.id)).toHaveCount(0);
  const listed = (await (await fetch(`${site.url}/wall/films`)).json()) as { films: Array<{ id: string }> };
  expect(listed.films.map((f) => f.id)).not.toEqual(expect.arrayContaining([toHide.id]));
  expect(listed.films.map((f) => f.id)).not.toEqual(expect.arrayContaining([toRemove.id]));
  expect(listed.films.map((f) => f.id)).not.toEqual(expect.arrayContaining([hiddenOnArrival.id]));
});

test('the QR code reads as the gallery’s address, in every language', async ({ page }) => {
  const dir = await tempDir('wall-qr');
  try {
    for (const [lang, scan] of [
      ['en', 'Scan to watch every film'],
      ['he', 'סרקו כדי לצפות בכל הסרטים'],
      ['ar', 'امسح الرمز لمشاهدة كل الأفلام'],
    ] as const) {
      await page.goto(`${site.url}/wall?lang=${lang}`);
      await expect(page.locator('.wall-qr')).toContainText(scan);
      const png = path.join(dir.path, `qr-${lang}.png`);
      await writeFile(png, await page.locator('.wall-qr .qr').screenshot());
      const { stdout } = await run('zbarimg', ['--raw', '-q', png]);
      expect(stdout.trim(), lang).toBe(`${site.url}/`);
    }
  } finally {
    await dir.remove();
  }
});

test('the wall reconnects after the gallery restarts and catches up on what arrived meanwhile', async ({ page }) => {
  await page.goto(`${site.url}/wall`);
  await expect(page.locator('#wall')).toHaveAttribute('data-stream', 'open');
  await site.stopGallery();
  await expect(page.locator('#wall')).toHaveAttribute('data-stream', 'closed');
  await expect(page.locator('#wall-offline')).toBeVisible();
  // Its notice goes unheard: no gallery is listening.
  const meanwhile = await arrive({ title: 'Made During The Restart' });
  await site.startGallery();
  await expect(page.locator('#wall')).toHaveAttribute('data-stream', 'open');
  await expect(page.locator('#wall-offline')).toBeHidden();
  // The next notice makes the new instance list the bucket: both films come.
  const next = await arrive({ title: 'Made After' });
  await expect(tile(page, next.id)).toBeVisible();
  await expect(tile(page, meanwhile.id)).toBeVisible();
});

test('a gallery stopped with SIGSTOP (the socket open, nothing answering) is dropped by the wall, which comes back after SIGCONT', async ({
  page,
}) => {
  await page.goto(`${site.url}/wall`);
  await expect(page.locator('#wall')).toHaveAttribute('data-stream', 'open');
  let meanwhile: FilmMeta;
  site.proc.child.kill('SIGSTOP');
  try {
    // No error reaches the page: only its watchdog notices that the pings stopped.
    await expect(page.locator('#wall')).toHaveAttribute('data-stream', 'closed', { timeout: 30_000 });
    await expect(page.locator('#wall-offline')).toBeVisible();
    meanwhile = await arrive({ title: 'Made While It Was Stopped' });
  } finally {
    site.proc.child.kill('SIGCONT');
  }
  await expect(tile(page, meanwhile.id)).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('#wall-offline')).toBeHidden();
});
