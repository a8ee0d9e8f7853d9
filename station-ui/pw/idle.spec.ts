import { expect, test } from '@playwright/test';
import { type Station, startStation } from './station.js';
import { expectAccessible, expectFrames, expectScreen, openStation, screenshot } from './ui.js';

let station: Station;
test.afterEach(async () => {
  await station.stop();
});

async function movieFrames(): Promise<number> {
  const res = await fetch(`${station.url}/api/state`);
  const state = (await res.json()) as { movie: { frames: unknown[] } };
  return state.movie.frames.length;
}

test('idle with IDLE_ACTION=clear: "still there?", then back to the invitation with the film cleared', async ({ page }) => {
  station = await startStation({ IDLE_MINUTES: '0.1', IDLE_ACTION: 'clear' });
  await openStation(page, station.url);
  await page.keyboard.press('Enter');
  await expectFrames(page, 1);
  await page.keyboard.press('Enter');
  await expectFrames(page, 2);
  await expect(page.getByTestId('idle')).toBeVisible({ timeout: 15_000 });
  // Touching the question only answers it.
  await page.locator('.idle-yes').click();
  await expect(page.getByTestId('idle')).toHaveCount(0);
  await expectScreen(page, 'make');
  expect(await movieFrames()).toBe(2);
  // Nobody answers the next time.
  await expect(page.getByTestId('idle')).toBeVisible({ timeout: 15_000 });
  await screenshot(page, 'en-1280x720-idle');
  await expectAccessible(page, 'idle question');
  await expectScreen(page, 'attract', 30_000);
  await expect(page.getByTestId('idle')).toHaveCount(0);
  await expect.poll(movieFrames, { timeout: 30_000 }).toBe(0);
});

test('idle by default: an abandoned film is finished for the big screen only, and the next child starts afresh', async ({ page }) => {
  station = await startStation({ IDLE_MINUTES: '0.1' });
  await openStation(page, station.url);
  await page.keyboard.press('Enter');
  await expectFrames(page, 1);
  await page.keyboard.press('Enter');
  await expectFrames(page, 2);
  await expect(page.getByTestId('idle')).toBeVisible({ timeout: 15_000 });
  await expectScreen(page, 'attract', 30_000);
  const [pkg] = await expect
    .poll(() => station.outbox(), { timeout: 30_000 })
    .toHaveLength(1)
    .then(() => station.outbox());
  expect(pkg?.manifest).toMatchObject({ publish: 'private' });
  expect(pkg?.manifest.frames).toHaveLength(2);
  expect(await movieFrames()).toBe(0);
  // No claim screen holds the buttons: the next child's press captures.
  await page.keyboard.press('Enter');
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
});

test('idle with IDLE_ACTION=keep: the film waits for the next child', async ({ page }) => {
  station = await startStation({ IDLE_MINUTES: '0.1', IDLE_ACTION: 'keep' });
  await openStation(page, station.url);
  await page.keyboard.press('Enter');
  await expectFrames(page, 1);
  await expect(page.getByTestId('idle')).toBeVisible({ timeout: 15_000 });
  await expectScreen(page, 'attract', 30_000);
  expect(await movieFrames()).toBe(1);
  await page.keyboard.press('Enter');
  await expectScreen(page, 'make');
  await expectFrames(page, 2);
});
