import { AxeBuilder } from '@axe-core/playwright';
import { chromium, expect, type Page, test } from '@playwright/test';
import { chromiumLaunchOptions } from '@stop-motion/e2e/harness';
import type { FilmMeta } from '@stop-motion/protocol';
import { type Media, makeMedia, meta, newId, type Site, startSite, streamCodecs, upload } from './helpers.js';

// What phones and desktop browsers do by default: sound only after the visitor has touched the page.
const GESTURE_REQUIRED = '--autoplay-policy=document-user-activation-required';
test.use({ launchOptions: chromiumLaunchOptions([GESTURE_REQUIRED]) });

let site: Site;
let withSound: Media;
let silent: Media;
let loud: FilmMeta;
let quiet: FilmMeta;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  [withSound, silent] = await Promise.all([makeMedia({ audio: true }), makeMedia()]);
  // The fixtures are what they claim: one AAC stream beside the video, or none.
  expect(await streamCodecs(withSound.video)).toEqual(['h264', 'aac']);
  expect(await streamCodecs(silent.video)).toEqual(['h264']);
  loud = meta(newId(), { title: 'The Singing Robot', audio: true });
  quiet = meta(newId(), { title: 'The Quiet Cat' });
  site = await startSite(async (s3) => {
    await upload(s3.client(), s3.bucket, loud, withSound);
    await upload(s3.client(), s3.bucket, quiet, silent);
  });
});

test.afterAll(async () => {
  await site?.close();
});

const video = (page: Page) => page.locator('#film-player video');
const playedSeconds = (page: Page) => video(page).evaluate((v: HTMLVideoElement) => v.currentTime);
/** Bytes of sound Chromium has decoded for the element: more than 0 only when the AAC track really plays. */
const audioBytes = (page: Page) =>
  video(page).evaluate(
    (v: HTMLVideoElement) => (v as HTMLVideoElement & { webkitAudioDecodedByteCount: number }).webkitAudioDecodedByteCount,
  );

test('a film with sound starts muted where the browser requires it, shows it has sound, and one tap turns the sound on', async ({
  page,
}) => {
  await page.goto(`${site.url}/m/${loud.id}`);
  // Playing by itself, muted, because the browser refused sound without a gesture.
  await expect.poll(() => playedSeconds(page)).toBeGreaterThan(0.3);
  expect(await video(page).evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
  const sign = page.locator('#sound-sign');
  await expect(sign).toBeVisible();
  await expect(sign).toHaveText('This film has sound');
  await expect(sign.locator('svg')).toBeVisible();
  const unmute = page.getByRole('button', { name: 'Turn the sound on' });
  await expect(unmute).toBeVisible();
  await expect(unmute.locator('svg')).toBeVisible();

  await unmute.click();
  await expect(unmute).toBeHidden();
  expect(await video(page).evaluate((v: HTMLVideoElement) => v.muted)).toBe(false);
  await expect.poll(() => playedSeconds(page)).toBeGreaterThan(0.3);
  await expect.poll(() => audioBytes(page)).toBeGreaterThan(0);

  // Muted again with the player's own controls: the speaker button comes back.
  await video(page).evaluate((v: HTMLVideoElement) => {
    v.muted = true;
  });
  await expect(unmute).toBeVisible();
});

test('a silent film plays with no sign of sound', async ({ page }) => {
  await page.goto(`${site.url}/m/${quiet.id}`);
  await expect.poll(() => playedSeconds(page)).toBeGreaterThan(0.3);
  await expect(page.locator('#sound-sign')).toHaveCount(0);
  await expect(page.locator('#unmute')).toHaveCount(0);
  await expect(page.getByText('This film has sound')).toHaveCount(0);
});

test('the sign and the button speak Hebrew and Arabic, right to left', async ({ page }) => {
  for (const [lang, sign, button] of [
    ['he', 'לסרט הזה יש צליל', 'להפעלת הצליל'],
    ['ar', 'لهذا الفيلم صوت', 'تشغيل الصوت'],
  ] as const) {
    await page.goto(`${site.url}/m/${loud.id}?lang=${lang}`);
    await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
    await expect(page.locator('#sound-sign')).toHaveText(sign);
    await page.getByRole('button', { name: button }).click();
    expect(await video(page).evaluate((v: HTMLVideoElement) => v.muted), lang).toBe(false);
    await expect.poll(() => audioBytes(page)).toBeGreaterThan(0);
  }
});

test('the list marks the film with sound and not the silent one', async ({ page }) => {
  await page.goto(site.url);
  await expect(page.getByRole('link', { name: /The Singing Robot/ }).locator('.has-sound svg')).toBeVisible();
  await expect(page.getByRole('link', { name: /The Quiet Cat/ }).locator('.has-sound')).toHaveCount(0);
});

test('where the browser allows sound at once, the film starts with it and no button is shown', async () => {
  const browser = await chromium.launch(chromiumLaunchOptions(['--autoplay-policy=no-user-gesture-required']));
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}/m/${loud.id}`);
    await expect.poll(() => playedSeconds(page)).toBeGreaterThan(0.3);
    expect(await video(page).evaluate((v: HTMLVideoElement) => v.muted)).toBe(false);
    await expect.poll(() => audioBytes(page)).toBeGreaterThan(0);
    await expect(page.locator('#sound-sign')).toBeVisible();
    await expect(page.locator('#unmute')).toBeHidden();
  } finally {
    await browser.close();
  }
});

test('the film page with sound has no serious or critical accessibility violation', async ({ page }) => {
  for (const lang of ['en', 'ar']) {
    await page.goto(`${site.url}/m/${loud.id}?lang=${lang}`);
    await expect(page.locator('#unmute')).toBeVisible();
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
    expect(serious, lang).toEqual([]);
  }
});
