import { expect, type Page, test } from '@playwright/test';
import { type Station, startStation } from './station.js';
import { decodeQr, expectAccessible, expectFrames, expectScreen, openStation, sampleShown, screenshot } from './ui.js';

const locales = ['en', 'he', 'ar'] as const;
const viewports = [
  { width: 1280, height: 720 },
  { width: 800, height: 480 },
];

type Box = { x: number; y: number; width: number; height: number };
async function box(page: Page, selector: string): Promise<Box> {
  const b = await page.locator(selector).first().boundingBox();
  if (!b) throw new Error(`no box for ${selector}`);
  return b;
}
const centerX = (b: Box) => b.x + b.width / 2;

/** Right-to-left: the layout is mirrored, checked on where things are, not only on `dir`. */
async function expectMirrored(page: Page, rtl: boolean, width: number): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('dir', rtl ? 'rtl' : 'ltr');
  const capture = await box(page, 'main [data-action="capture"]');
  expect(centerX(capture) < width / 2, 'buttons sit at the inline end').toBe(rtl);
  const cells = page.locator('.strip-cell');
  const first = await cells.first().boundingBox();
  const last = await cells.last().boundingBox();
  if (!first || !last) throw new Error('no strip cells');
  expect(last.x < first.x, 'newer frames further along the reading direction').toBe(rtl);
  const bar = await box(page, '.budget');
  const fill = await box(page, '.budget-fill');
  if (rtl) expect(Math.abs(fill.x + fill.width - (bar.x + bar.width))).toBeLessThan(2);
  else expect(Math.abs(fill.x - bar.x)).toBeLessThan(2);
  const consentless = await box(page, '.diff-toggle');
  expect(centerX(consentless) < width / 2).toBe(rtl);
}

for (const locale of locales) {
  for (const viewport of viewports) {
    const size = `${viewport.width}x${viewport.height}`;
    test.describe(`${locale} ${size}`, () => {
      let station: Station;
      test.use({ viewport });
      test.beforeEach(async () => {
        station = await startStation({ LOCALE: locale, TITLE_ENABLED: 'true' });
      });
      test.afterEach(async () => {
        await station.stop();
      });

      test(`walk every screen: screenshots${viewport.width === 1280 ? ', axe, RTL mirroring' : ''}`, async ({ page }) => {
        const checkAxe = viewport.width === 1280;
        const shot = async (name: string) => {
          await screenshot(page, `${locale}-${size}-${name}`);
          if (checkAxe) await expectAccessible(page, `${locale} ${name}`);
        };
        await openStation(page, station.url);
        await expectScreen(page, 'attract');
        await shot('attract-empty');

        for (let i = 1; i <= 4; i++) {
          await page.keyboard.press('Enter');
          await expectFrames(page, i);
        }
        // Let the flash fade: its CSS animation has finished.
        await page.getByTestId('flash').evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
        await shot('make');
        if (checkAxe) await expectMirrored(page, locale !== 'en', viewport.width);
        await page.getByTestId('diff').click();
        await shot('make-difference');
        await page.getByTestId('diff').click();
        await page.keyboard.press('Backspace');
        await expect(page.getByTestId('leaving')).toBeVisible();
        await shot('make-undo');
        await expectFrames(page, 3);

        await page.keyboard.press('0');
        await expectScreen(page, 'play');
        await sampleShown(page, 300);
        await shot('play');
        await page.keyboard.press('.');
        await expectScreen(page, 'consent');
        await shot('consent');
        await page.keyboard.press('.');
        await expectScreen(page, 'title');
        await shot('title');
        await page.getByTestId('title-input').fill(locale === 'en' ? 'The dragon' : locale === 'he' ? 'הדרקון' : 'التنين');
        await page.getByTestId('title-input').press('Enter');
        await expectScreen(page, 'claim');
        expect(await decodeQr(page)).toMatch(/^https:\/\/films\.example\.org\/m\/[0-9A-Z]{26}#k=/);
        await shot('claim');
        const [pkg] = await station.outbox();
        expect(pkg?.manifest).toMatchObject({ publish: 'public', title: expect.any(String) });

        // The claim screen ignores presses; the "next child" gesture (finish three times) ends it.
        await page.keyboard.press('Enter');
        for (let i = 0; i < 3; i++) await page.keyboard.press('.');
        await expectScreen(page, 'attract');
        await expect(page.locator('.recent-poster')).toHaveCount(1);
        await expect.poll(() => page.locator('.recent-poster').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
        await shot('attract-recent');

        await page.keyboard.press('Enter');
        await expectFrames(page, 1);
        await page.keyboard.press('F2');
        await expect(page.getByTestId('operator')).toBeVisible();
        await shot('operator');
        await page.keyboard.press('F2');
        await expect(page.getByTestId('operator')).toHaveCount(0);
      });
    });
  }
}
