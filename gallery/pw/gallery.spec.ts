import { createHash, randomBytes } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import type { FilmMeta } from '@stop-motion/protocol';
import { type Media, makeMedia, meta, newId, type Site, startSite, upload } from './helpers.js';

let site: Site;
let media: Media;
let film: FilmMeta;
let hebrew: FilmMeta;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  media = await makeMedia();
  hebrew = meta(newId(), { title: 'הסרט של נועה' });
  film = meta(newId(), { title: 'The Robot Dance' });
  site = await startSite(async (s3) => {
    await upload(s3.client(), s3.bucket, hebrew, media);
    await upload(s3.client(), s3.bucket, film, media);
  });
});

test.afterAll(async () => {
  await site?.close();
});

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

test('list → film page → the video plays → the download has the film’s name', async ({ page }) => {
  await page.goto(site.url);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Films');
  await page.getByRole('link', { name: /The Robot Dance/ }).click();
  await expect(page).toHaveURL(`${site.url}/m/${film.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('The Robot Dance');

  const video = page.locator('video');
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(0.5);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toBe('The Robot Dance.mp4');
  expect(await download.failure()).toBeNull();

  // A Hebrew title arrives under its own name (RFC 5987 filename*).
  await page.goto(`${site.url}/m/${hebrew.id}?lang=he`);
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  const [hd] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'הורדה' }).click()]);
  expect(hd.suggestedFilename()).toBe('הסרט של נועה.mp4');
});

test('an expired film link is renewed by the page, and playback carries on', async ({ page }) => {
  await page.goto(`${site.url}/m/${film.id}`);
  const video = page.locator('video');
  const first = await video.evaluate((v: HTMLVideoElement) => v.currentSrc);
  // What an expired presigned URL looks like to the browser: S3 refuses it.
  const expired = new URL(first);
  expired.searchParams.set('X-Amz-Date', '20000101T000000Z');
  expect((await fetch(expired)).status).toBe(403);
  await video.evaluate((v: HTMLVideoElement, src: string) => {
    v.muted = true;
    v.src = src;
    v.play().catch(() => {});
  }, expired.toString());
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentSrc), { timeout: 15_000 }).not.toBe(expired.toString());
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(0.3);
});

test('share falls back to copying the link, and the owner section stays hidden without a key', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.url });
  await page.goto(`${site.url}/m/${film.id}`);
  await expect(page.locator('#owner')).toBeHidden();
  await page.getByRole('button', { name: 'Copy link' }).click();
  await expect(page.locator('#share-status')).toHaveText('Link copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${site.url}/m/${film.id}`);
});

test('share uses the Web Share API where the browser has one', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { shared: unknown[] };
    w.shared = [];
    Object.defineProperty(navigator, 'share', {
      value: (data: unknown) => {
        w.shared.push(data);
        return Promise.resolve();
      },
    });
  });
  await page.goto(`${site.url}/m/${hebrew.id}`);
  await page.getByRole('button', { name: 'Share' }).click();
  expect(await page.evaluate(() => (window as unknown as { shared: unknown[] }).shared)).toEqual([
    { title: hebrew.title, url: `${site.url}/m/${hebrew.id}` },
  ]);
});

test('the family removes its own film with the key from the QR link; a wrong key does nothing', async ({ page }) => {
  const key = randomBytes(24).toString('base64url');
  const owned = meta(newId(), { title: 'Ours', ownerKeyHash: createHash('sha256').update(key).digest('hex') });
  await upload(site.s3.client(), site.s3.bucket, owned, media);
  page.on('dialog', (d) => {
    d.accept().catch(() => {});
  });

  await page.goto(`${site.url}/m/${owned.id}#k=${randomBytes(24).toString('base64url')}`);
  await page.getByRole('button', { name: 'Remove my film' }).click();
  await expect(page.locator('#owner-status')).toHaveText('That did not work. Please try again later.');
  await page.goto(`${site.url}/m/${owned.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ours');

  await page.goto(`${site.url}/m/${owned.id}#k=${key}`);
  await page.getByRole('button', { name: 'Remove my film' }).click();
  await expect(page.locator('#owner-status')).toHaveText('Your film was removed.');
  expect(new URL(page.url()).hash).toBe('');
  await expect(page.locator('video')).toHaveCount(0);
  const gone = await page.goto(`${site.url}/m/${owned.id}`);
  expect(gone?.status()).toBe(404);
});

test('"your film is on its way" turns into the film once meta.json appears', async ({ page }) => {
  const id = newId();
  await page.goto(`${site.url}/m/${id}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your film is on its way');
  await upload(site.s3.client(), site.s3.bucket, meta(id, { title: 'Worth the wait' }), media);
  // The page looks again by itself (meta refresh, no script needed).
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Worth the wait', { timeout: 20_000 });
  await expect(page.locator('video')).toBeVisible();
});

test('without script, the "on its way" page reloads itself until the film is there', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const id = newId();
    await page.goto(`${site.url}/m/${id}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your film is on its way');
    await upload(site.s3.client(), site.s3.bucket, meta(id, { title: 'No script needed' }), media);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('No script needed', { timeout: 20_000 });
  } finally {
    await context.close();
  }
});

test('no serious or critical accessibility violations', async ({ page }) => {
  const pages = ['/', `/m/${film.id}`, `/m/${hebrew.id}?lang=he`, '/?lang=ar', `/m/${newId()}?lang=en`, '/m/nope'];
  for (const path of pages) {
    await page.goto(`${site.url}${path}`);
    expect(await seriousViolations(page), path).toEqual([]);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(site.url);
  expect(await seriousViolations(page), 'phone').toEqual([]);
});
