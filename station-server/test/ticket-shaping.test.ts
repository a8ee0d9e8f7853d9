import path from 'node:path';
import { grayImage, haveHbView, inkMask, shapingScores, tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { renderTicket, ticketLayout, ticketWidthDots } from '../src/printer/ticket.js';

/**
 * The ticket's Hebrew and Arabic lines must be shaped as the title card's are: the event
 * name is compared with HarfBuzz's rendering of the same text, font and size and with
 * the same text drawn unshaped (e2e harness, shaping.ts).
 */

const skip = !haveHbView();
if (skip) console.warn('ticket shaping test skipped: hb-view is missing (Debian: libharfbuzz-bin)');

describe.skipIf(skip)('the ticket in Hebrew and Arabic', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const loaded = loadConfig({ STATION_DATA_DIR: '/tmp/unused' });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const fonts = loaded.config.printer.fonts;
  beforeAll(async () => {
    dir = await tempDir('ticket-shaping');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  const cases = [
    { locale: 'ar' as const, eventName: 'مهرجان الأفلام' },
    { locale: 'he' as const, eventName: 'פסטיבל הסרטים' },
  ];
  for (const c of cases) {
    it(`${c.locale}: the event name is drawn as HarfBuzz shapes it, not letter by letter`, async () => {
      const work = path.join(dir.path, c.locale);
      const ticket = await renderTicket(
        work,
        {
          eventName: c.eventName,
          locale: c.locale,
          shortCode: 'AB12CD',
          claimUrl: 'https://films.example.org/m/x#k=y',
          posterFile: null,
          paperMm: 80,
          fonts,
        },
        { timeoutMs: 30_000 },
      );
      // The event name is the first line whatever follows it.
      const line = ticketLayout({
        width: ticketWidthDots(80),
        hasPoster: false,
        qrModules: null,
        eventName: c.eventName,
        caption: '',
        code: '',
        files: { event: '', caption: '', code: '' },
        fonts,
      }).texts[0];
      if (!line) throw new Error('no event line');
      const mask = inkMask(grayImage(ticket.png), { top: line.y - line.size, bottom: line.y + Math.round(line.size * 0.6) }, 'dark');
      const s = shapingScores(work, c.locale, mask, { text: c.eventName, fontFile: fonts.bold, size: line.size, ink: 'dark' });
      console.info(`${c.locale} ticket: vs HarfBuzz ${s.harfbuzz.toFixed(2)}, vs unshaped ${s.unshaped.toFixed(2)}`);
      expect(s.harfbuzz).toBeGreaterThan(0.75);
      expect(s.harfbuzz - s.unshaped).toBeGreaterThan(0.3);
      if (c.locale === 'ar') expect(s.harfbuzz - s.isolatedRtl).toBeGreaterThan(0.3);
    }, 60_000);
  }
});
