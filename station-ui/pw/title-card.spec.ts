import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { grayImage, haveHbView, inkMask, shapingScores, tempDir, writeGrayFrame } from '@stop-motion/e2e';
import { buildRenderArgs, loadConfig, prepareTitleCard } from '@stop-motion/processor';
import { type Station, startStation } from './station.js';
import { expectFrames, expectScreen, openStation } from './ui.js';

// A touch-screen kiosk: the title is typed by tapping the on-screen keyboard.
test.use({ hasTouch: true, viewport: { width: 1280, height: 800 } });
test.skip(!haveHbView(), 'hb-view is missing (Debian: libharfbuzz-bin)');

let station: Station | undefined;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
test.afterEach(async () => {
  await station?.stop();
  await dir?.remove();
  station = undefined;
  dir = undefined;
});

/** The processor's title card for `title` (a one-frame film through its render arguments), the title line as a mask. */
async function cardTitle(work: string, title: string): Promise<{ mask: Uint8Array; size: number; fontFile: string }> {
  const fonts = loadConfig({ PROCESSOR_DATA_DIR: work, PROCESSOR_INBOX: work });
  await mkdir(path.join(work, 'frames'), { recursive: true });
  const [width, height] = [1280, 720];
  writeGrayFrame(path.join(work, 'frames', '000000.jpg'), width, height);
  const card = await prepareTitleCard(path.join(work, 'card'), {
    eventName: '',
    title,
    stationId: 'pw',
    date: '2026-12-02',
    width,
    height,
    seconds: 0.5,
    fontFile: fonts.fontFile,
    fontFileBold: fonts.fontFileBold,
  });
  const output = path.join(work, 'movie.mp4');
  const render = spawnSync(
    'ffmpeg',
    buildRenderArgs({
      framesPattern: path.join(work, 'frames', '%06d.jpg'),
      frameCount: 1,
      fps: 10,
      width,
      height,
      title: card,
      encoder: { preset: 'ultrafast', crf: 10, threads: 1 },
      output,
      poster: path.join(work, 'poster.jpg'),
      preview: null,
      soundtrack: null,
    }),
    { timeout: 120_000 },
  );
  expect(render.status, render.stderr?.toString()).toBe(0);
  const line = card.lines[0];
  if (!line) throw new Error('the card has no title line');
  const centre = Math.round(height * line.y);
  return {
    mask: inkMask(grayImage(output), { top: centre - line.size, bottom: centre + line.size }, 'light'),
    size: line.size,
    fontFile: line.fontFile,
  };
}

async function typeTitle(page: Page, keys: readonly string[]): Promise<void> {
  await page.locator('main [data-action="capture"]').first().tap();
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await page.locator('main [data-action="finish"]').first().tap();
  await expectScreen(page, 'consent');
  await page.getByTestId('consent-public').tap();
  await expectScreen(page, 'title');
  for (const k of keys) {
    if (k === ' ') await page.getByTestId('key-space').tap();
    else await page.locator(`.keyboard [data-key="${k}"]`).tap();
  }
  await page.getByTestId('title-ok').tap();
  await expectScreen(page, 'claim');
}

const cases = [
  // «the elephant film», with the «لا» key: its letters join their neighbours.
  { locale: 'ar', keys: ['ف', 'ي', 'ل', 'م', ' ', 'ا', 'ل', 'ف', 'ي', 'ل', ' ', 'لا'], title: 'فيلم الفيل لا' },
  // «my elephant»: no joining, but right to left.
  { locale: 'he', keys: ['ה', 'פ', 'י', 'ל', ' ', 'ש', 'ל', 'י'], title: 'הפיל שלי' },
] as const;

for (const c of cases) {
  test(`a title typed by touch on the ${c.locale} keyboard is shaped on the rendered title card`, async ({ page }) => {
    station = await startStation({ LOCALE: c.locale, TITLE_ENABLED: 'true' });
    await openStation(page, station.url);
    await typeTitle(page, c.keys);
    const [pkg] = await expect
      .poll(() => station?.outbox() ?? [])
      .toHaveLength(1)
      .then(() => station?.outbox() ?? []);
    const title = pkg?.manifest.title;
    expect(title).toBe(c.title);

    dir = await tempDir('pw-title-card');
    const card = await cardTitle(dir.path, title as string);
    const s = shapingScores(dir.path, c.locale, card.mask, {
      text: title as string,
      fontFile: card.fontFile,
      size: card.size,
      ink: 'light',
    });
    console.info(
      `${c.locale} typed title on the card: vs HarfBuzz ${s.harfbuzz.toFixed(2)}, vs unshaped ${s.unshaped.toFixed(2)}, ` +
        `isolated right to left vs HarfBuzz ${s.isolatedRtl.toFixed(2)}`,
    );
    expect(s.harfbuzz).toBeGreaterThan(0.8);
    expect(s.harfbuzz - s.unshaped).toBeGreaterThan(0.4);
    if (c.locale === 'ar') expect(s.harfbuzz - s.isolatedRtl).toBeGreaterThan(0.3);
  });
}
