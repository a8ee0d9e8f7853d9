import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { grayImage, haveHbView, inkMask, shapingScores, tempDir, writeGrayFrame } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderArgs } from '../src/args.js';
import { DEFAULT_FONT, DEFAULT_FONT_BOLD } from '../src/config.js';
import { prepareTitleCard } from '../src/title.js';

/**
 * A Hebrew or Arabic title must come out on the big screen's title card as a reader of
 * that language writes it: right to left, Arabic letters joined. The card's title line
 * is compared with HarfBuzz's rendering of the same text and with the text drawn
 * unshaped (e2e harness, shaping.ts). station-ui/pw/title-card.spec.ts does the same
 * for titles typed by touch on the station's on-screen keyboard.
 */

const skip = !haveHbView();
if (skip) console.warn('title shaping test skipped: hb-view is missing (Debian: libharfbuzz-bin)');

/** The processor's title card for `title` (a one-frame film through buildRenderArgs), its title line as a mask. */
async function renderCardTitle(dir: string, title: string): Promise<{ mask: Uint8Array; size: number }> {
  await mkdir(path.join(dir, 'frames'), { recursive: true });
  const width = 1280;
  const height = 720;
  writeGrayFrame(path.join(dir, 'frames', '000000.jpg'), width, height);
  const card = await prepareTitleCard(path.join(dir, 'card'), {
    eventName: '',
    title,
    stationId: 'st-1',
    date: '2026-12-02',
    width,
    height,
    seconds: 0.5,
    fontFile: DEFAULT_FONT,
    fontFileBold: DEFAULT_FONT_BOLD,
  });
  const output = path.join(dir, 'movie.mp4');
  const args = buildRenderArgs({
    framesPattern: path.join(dir, 'frames', '%06d.jpg'),
    frameCount: 1,
    fps: 10,
    width,
    height,
    title: card,
    encoder: { preset: 'ultrafast', crf: 10, threads: 1 },
    output,
    poster: path.join(dir, 'poster.jpg'),
    preview: null,
    soundtrack: null,
  });
  const render = spawnSync('ffmpeg', args, { timeout: 120_000 });
  if (render.status !== 0) throw new Error(`render failed: ${render.stderr.toString()}`);
  const line = card.lines[0];
  if (!line) throw new Error('the card has no title line');
  // The title's band, well clear of the station and date line at 0.84 of the height.
  const centre = Math.round(height * line.y);
  return { mask: inkMask(grayImage(output), { top: centre - line.size, bottom: centre + line.size }, 'light'), size: line.size };
}

describe.skipIf(skip)('a right-to-left title on the rendered title card', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('title-shaping');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  const cases = [
    // «the elephant film»: every letter joins its neighbours but the alefs and the space.
    { locale: 'ar', title: 'فيلم الفيل' },
    // «my elephant»: no joining, but right to left.
    { locale: 'he', title: 'הפיל שלי' },
  ];
  for (const c of cases) {
    it(`${c.locale}: the title is drawn as HarfBuzz shapes it`, async () => {
      const card = await renderCardTitle(path.join(dir.path, c.locale), c.title);
      const s = shapingScores(dir.path, c.locale, card.mask, { text: c.title, fontFile: DEFAULT_FONT_BOLD, size: card.size, ink: 'light' });
      console.info(
        `${c.locale} card: vs HarfBuzz ${s.harfbuzz.toFixed(2)}, vs unshaped ${s.unshaped.toFixed(2)}; ` +
          `unshaped vs HarfBuzz ${s.referencesApart.toFixed(2)}, isolated right to left vs HarfBuzz ${s.isolatedRtl.toFixed(2)}`,
      );
      expect(s.harfbuzz).toBeGreaterThan(0.8);
      expect(s.harfbuzz - s.unshaped).toBeGreaterThan(0.4);
      // Order alone is not enough for Arabic: the letters must join.
      if (c.locale === 'ar') expect(s.harfbuzz - s.isolatedRtl).toBeGreaterThan(0.3);
    }, 60_000);
  }
});
