import { expect, type Page, test } from '@playwright/test';
import { type Station, simPress, startStation } from './station.js';
import { decodeQr, expectFrames, expectScreen, openStation, sampleShown } from './ui.js';

type Press = (action: 'capture' | 'undo' | 'play' | 'finish') => Promise<void>;

let station: Station;
test.beforeEach(async () => {
  station = await startStation();
});
test.afterEach(async () => {
  await station.stop();
});

const keys: Record<string, string> = { capture: 'Enter', undo: 'Backspace', play: '0', finish: '.' };

/** One film made with `press`: capture, undo, play loop, then finish with the given consent. */
async function makeFilm(page: Page, press: Press, choose: 'public' | 'private'): Promise<void> {
  await openStation(page, station.url);
  await expectScreen(page, 'attract');
  await press('capture');
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  for (let i = 2; i <= 4; i++) {
    await press('capture');
    await expectFrames(page, i);
  }
  await press('undo');
  await expectFrames(page, 3);
  await expect(page.locator('.strip-cell:not(.leaving)')).toHaveCount(3);

  await press('play');
  await expectScreen(page, 'play');
  // Loops through all three frames, in order, more than once.
  const shown = await sampleShown(page, 1200);
  expect(shown.join(',')).toContain('0,1,2,0,1,2');
  await press('play');
  await expectScreen(page, 'make');

  await press('finish');
  await expectScreen(page, 'consent');
  await press(choose === 'public' ? 'finish' : 'play');
  await expectScreen(page, 'claim');
  const code = page.getByTestId('short-code');
  await expect(code).toHaveText(/^[0-9A-Z]{6}$/);

  const [pkg] = await expect
    .poll(() => station.outbox())
    .toHaveLength(1)
    .then(() => station.outbox());
  expect(pkg?.manifest.publish).toBe(choose);
  expect(pkg?.manifest.frames).toHaveLength(3);
  expect(await code.textContent()).toBe(pkg?.id.slice(-6));
  if (choose === 'public') {
    const url = await decodeQr(page);
    expect(url).toMatch(new RegExp(`^https://films\\.example\\.org/m/${pkg?.id}#k=[A-Za-z0-9_-]{16,64}$`));
  } else {
    await expect(page.getByTestId('qr')).toHaveCount(0);
  }
  // A child presses the red arcade button at once: the code stays up and nothing is captured.
  await simPress(station, 'capture');
  await simPress(station, 'undo');
  // The operator's "next child" gesture (CLAIM_NEXT_GESTURE=finishx3) ends the claim screen.
  for (let i = 0; i < 3; i++) await simPress(station, 'finish');
  await expectScreen(page, 'attract');
  expect(await movieFrames(station.url)).toBe(0);
  await press('capture');
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
}

async function movieFrames(url: string): Promise<number> {
  const state = (await (await fetch(`${url}/api/state`)).json()) as { movie: { frames: unknown[] } };
  return state.movie.frames.length;
}

test('the whole flow by keyboard (numeric keypad layout), website too', async ({ page }) => {
  await makeFilm(page, (a) => page.keyboard.press(keys[a] ?? ''), 'public');
});

test('the whole flow by touch on the on-screen buttons, big screen only', async ({ page }) => {
  const press: Press = async (action) => {
    const screen = await page.getByTestId('app').getAttribute('data-screen');
    if (screen === 'consent') {
      await page.getByTestId(action === 'finish' ? 'consent-public' : 'consent-private').click();
      return;
    }
    await page.locator(`main [data-action="${action}"]`).first().click();
  };
  await makeFilm(page, press, 'private');
});

test('the whole flow by simulated GPIO buttons, website too', async ({ page }) => {
  await makeFilm(page, (a) => simPress(station, a), 'public');
});

test('the whole flow by simulated GPIO buttons, big screen only', async ({ page }) => {
  await makeFilm(page, (a) => simPress(station, a), 'private');
});
