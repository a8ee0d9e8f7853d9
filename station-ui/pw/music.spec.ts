import { spawnSync } from 'node:child_process';
import { expect, type Page, test } from '@playwright/test';
import { chromiumLaunchOptions } from '@stop-motion/e2e/harness';
import { scriptGamepad } from './pad.js';
import { repoRoot, type Station, simPress, startStation } from './station.js';
import { expectAccessible, expectFrames, expectScreen, openStation, screenshot } from './ui.js';

// As the kiosk launcher starts Chromium: a preview may play without a touch first
// (an arcade button is not a user gesture to the browser).
test.use({ launchOptions: chromiumLaunchOptions(['--autoplay-policy=no-user-gesture-required']) });

type Action = 'capture' | 'undo' | 'play' | 'finish';
type Locale = 'he' | 'ar' | 'en';

const MOODS = ['happy', 'spooky', 'adventure', 'calm', 'silly', 'none'];

let tracksDir: string;
test.beforeAll(() => {
  // The rendered default set (sunny-day, creaky-stairs, over-the-hills, still-pond,
  // wobbly-jelly), built here if bootstrap has not: the same build step.
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'station-server/src/music/build.ts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`rendering the default tracks failed: ${r.stderr}`);
  tracksDir = r.stdout.trim();
});

let station: Station | undefined;
test.afterEach(async () => {
  await station?.stop();
  station = undefined;
});

async function start(locale: Locale, env: Record<string, string> = {}): Promise<Station> {
  station = await startStation({ LOCALE: locale, TRACKS_DIR: tracksDir, SOUND: 'true', ...env });
  return station;
}

const tiles = (page: Page) => page.getByTestId('music-tiles');
const preview = (page: Page) => page.getByTestId('music-preview');

/** Two frames by simulated buttons, then finish and "big screen only": the music screen. */
async function toMusic(page: Page, s: Station, press: (a: Action) => Promise<void>): Promise<void> {
  await openStation(page, s.url);
  await simPress(s, 'capture');
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await simPress(s, 'capture');
  await expectFrames(page, 2);
  await press('finish');
  await expectScreen(page, 'consent');
  await press('play');
  await expectScreen(page, 'music');
}

/** The preview of `track` is playing through the audio element (its time moves on). */
async function expectPlaying(page: Page, track: string): Promise<void> {
  await expect
    .poll(() =>
      preview(page).evaluate((a: HTMLAudioElement) => ({
        src: new URL(a.src || 'x:', location.href).pathname,
        playing: !a.paused && a.currentTime > 0.2,
      })),
    )
    .toEqual({ src: `/tracks/${track}/preview`, playing: true });
}

/** Keeps the audio element, so that after the screen is gone the test can ask whether it still plays. */
async function holdPreview(page: Page): Promise<void> {
  await preview(page).evaluate((a) => {
    (window as unknown as { __preview: HTMLAudioElement }).__preview = a as HTMLAudioElement;
  });
}

/** The screen is gone and its audio element is silent (a detached element would play on). */
async function expectStopped(page: Page): Promise<void> {
  await expect(preview(page)).toHaveCount(0);
  await expect.poll(() => page.evaluate(() => (window as unknown as { __preview: HTMLAudioElement }).__preview.paused)).toBe(true);
}

async function expectSelected(page: Page, index: number): Promise<void> {
  await expect(tiles(page)).toHaveAttribute('data-selected', String(index));
  await expect(page.locator('.music-tile.selected')).toHaveAttribute('data-index', String(index));
}

async function delivered(s: Station): Promise<{ publish: string; soundtrack?: string }> {
  await expect.poll(() => s.outbox().then((o) => o.length)).toBe(1);
  const [pkg] = await s.outbox();
  if (!pkg) throw new Error('no package');
  return pkg.manifest;
}

test('Hebrew, simulated GPIO buttons: green steps through the moods right to left, each previewing; blue takes one', async ({ page }) => {
  const s = await start('he');
  await toMusic(page, s, (a) => simPress(s, a));
  await expect(page.locator('.music-tile')).toHaveCount(6);
  for (const [i, mood] of MOODS.entries()) await expect(page.locator('.music-tile').nth(i)).toHaveAttribute('data-testid', `music-${mood}`);
  // Right to left: the first tile is the rightmost.
  const first = await page.getByTestId('music-happy').boundingBox();
  const second = await page.getByTestId('music-spooky').boundingBox();
  expect(first && second && first.x > second.x).toBe(true);
  await expectSelected(page, 0);
  await expectPlaying(page, 'sunny-day');
  expect(await preview(page).evaluate((a: HTMLAudioElement) => a.muted)).toBe(false);
  await expectAccessible(page, 'music he');
  await simPress(s, 'play');
  await expectSelected(page, 1);
  await expectPlaying(page, 'creaky-stairs');
  await screenshot(page, 'he-music');
  await simPress(s, 'play');
  await expectPlaying(page, 'over-the-hills');
  await holdPreview(page);
  await simPress(s, 'finish');
  await expectScreen(page, 'claim');
  // Leaving the screen stops the sound.
  await expectStopped(page);
  expect(await delivered(s)).toMatchObject({ publish: 'private', soundtrack: 'over-the-hills' });
});

test('Arabic, keys: the arrows move in the reading direction, the keypad keys step and take; "no music" gives a silent film', async ({
  page,
}) => {
  // The operator turned the station's sound off: previews play muted.
  const s = await start('ar', { SOUND: 'false' });
  await toMusic(page, s, (a) => page.keyboard.press({ capture: 'Enter', undo: 'Backspace', play: '0', finish: '.' }[a]));
  await expectSelected(page, 0);
  // Right to left: the left arrow goes forward, the right arrow back (round to "no music").
  await page.keyboard.press('ArrowLeft');
  await expectSelected(page, 1);
  await expectPlaying(page, 'creaky-stairs');
  expect(await preview(page).evaluate((a: HTMLAudioElement) => a.muted)).toBe(true);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expectSelected(page, 5);
  // "No music" plays nothing.
  await expect.poll(() => preview(page).evaluate((a: HTMLAudioElement) => a.paused)).toBe(true);
  await screenshot(page, 'ar-music');
  await page.keyboard.press('.');
  await expectScreen(page, 'claim');
  const manifest = await delivered(s);
  expect(manifest.publish).toBe('private');
  expect(manifest.soundtrack).toBeUndefined();
});

test('English, touch: a touch selects and previews a tile, a second touch takes it', async ({ page }) => {
  const s = await start('en');
  await toMusic(page, s, async (a) => {
    const screen = await page.getByTestId('app').getAttribute('data-screen');
    if (screen === 'consent') await page.getByTestId(a === 'finish' ? 'consent-public' : 'consent-private').click();
    else await page.locator(`main [data-action="${a}"]`).first().click();
  });
  // Left to right: the first tile is the leftmost.
  const first = await page.getByTestId('music-happy').boundingBox();
  const second = await page.getByTestId('music-spooky').boundingBox();
  expect(first && second && first.x < second.x).toBe(true);
  await page.getByTestId('music-silly').click();
  await expectSelected(page, 4);
  await expectPlaying(page, 'wobbly-jelly');
  await screenshot(page, 'en-music');
  await page.getByTestId('music-calm').click();
  await expectPlaying(page, 'still-pond');
  // The on-screen green button steps on, like the arcade one.
  await page.locator('main [data-action="play"]').click();
  await expectSelected(page, 4);
  await page.getByTestId('music-calm').click();
  await expectPlaying(page, 'still-pond');
  await holdPreview(page);
  await page.getByTestId('music-calm').click();
  await expectScreen(page, 'claim');
  await expectStopped(page);
  expect(await delivered(s)).toMatchObject({ publish: 'private', soundtrack: 'still-pond' });
});

test('Hebrew, a gamepad encoder: its play and finish buttons step and take; capture leaves the screen and stops the sound', async ({
  page,
}) => {
  const s = await start('he');
  const pad = await scriptGamepad(page);
  const tap = (index: number) => pad.tap(index);
  // Default map: 0 capture, 1 undo, 2 play, 3 finish.
  const byPad = async (a: Action) => tap({ capture: 0, undo: 1, play: 2, finish: 3 }[a]);
  await toMusic(page, s, byPad);
  await tap(2);
  await expectSelected(page, 1);
  await expectPlaying(page, 'creaky-stairs');
  await holdPreview(page);
  // Capture always captures: back to the make screen with one more frame, the preview stopped.
  await tap(0);
  await expectScreen(page, 'make');
  await expectFrames(page, 3);
  await expectStopped(page);
  // The next finish starts the choice afresh.
  await byPad('finish');
  await expectScreen(page, 'consent');
  await byPad('finish');
  await expectScreen(page, 'music');
  await expectSelected(page, 0);
  await tap(3);
  await expectScreen(page, 'claim');
  expect(await delivered(s)).toMatchObject({ publish: 'public', soundtrack: 'sunny-day' });
});

test('with titles on, the music comes before the name and both reach the package', async ({ page }) => {
  const s = await start('en', { TITLE_ENABLED: 'true' });
  await toMusic(page, s, (a) => simPress(s, a));
  await simPress(s, 'play');
  await expectPlaying(page, 'creaky-stairs');
  await simPress(s, 'finish');
  await expectScreen(page, 'title');
  await expect(preview(page)).toHaveCount(0);
  for (const k of ['o', 'w', 'l']) await page.locator(`.keyboard [data-key="${k}"]`).click();
  await page.getByTestId('title-ok').click();
  await expectScreen(page, 'claim');
  expect(await delivered(s)).toMatchObject({ publish: 'private', title: 'owl', soundtrack: 'creaky-stairs' });
});

test('a station without tracks skips the music screen', async ({ page }) => {
  const s = await start('en', { TRACKS_DIR: '' });
  await openStation(page, s.url);
  await simPress(s, 'capture');
  await expectFrames(page, 1);
  await simPress(s, 'finish');
  await expectScreen(page, 'consent');
  await simPress(s, 'finish');
  await expectScreen(page, 'claim');
  const manifest = await delivered(s);
  expect(manifest.soundtrack).toBeUndefined();
});
