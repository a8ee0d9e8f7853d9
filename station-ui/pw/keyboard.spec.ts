import { expect, type Page, test } from '@playwright/test';
import { type Station, startStation } from './station.js';
import { expectAccessible, expectFrames, expectScreen, openStation, screenshot } from './ui.js';

// A touch-screen kiosk: every tap is a touch, and there is no keyboard.
test.use({ hasTouch: true, viewport: { width: 1280, height: 800 } });

let station: Station | undefined;
test.afterEach(async () => {
  await station?.stop();
  station = undefined;
});

async function toTitle(page: Page): Promise<void> {
  await page.locator('main [data-action="capture"]').first().tap();
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await page.locator('main [data-action="finish"]').first().tap();
  await expectScreen(page, 'consent');
  await page.getByTestId('consent-public').tap();
  await expectScreen(page, 'title');
}

const tapKeys = async (page: Page, keys: readonly string[]) => {
  for (const k of keys) await page.locator(`.keyboard [data-key="${k}"]`).tap();
};

const cases = [
  { locale: 'he', dir: 'rtl', first: 'ק', last: 'פ', word: ['ח', 'ת', 'ו', 'ל'], nextLayout: 'ar', extra: ['لا'], title: 'חתול 7لا' },
  { locale: 'ar', dir: 'rtl', first: 'ض', last: 'د', word: ['ق', 'ط', 'ة'], nextLayout: 'he', extra: ['ש'], title: 'قطة 7ש' },
  { locale: 'en', dir: 'ltr', first: 'q', last: 'p', word: ['c', 'a', 't', 's'], nextLayout: 'he', extra: ['ש'], title: 'cats 7ש' },
] as const;

for (const c of cases) {
  test(`names a film by touch on the ${c.locale} keyboard, switches layout, and the name is in the package`, async ({ page }) => {
    station = await startStation({ LOCALE: c.locale, TITLE_ENABLED: 'true' });
    await openStation(page, station.url);
    await toTitle(page);
    const keyboard = page.getByTestId('keyboard');
    // The child's own alphabet first, in its direction.
    await expect(keyboard).toHaveAttribute('data-layout', c.locale);
    await expect(keyboard).toHaveAttribute('data-dir', c.dir);
    // As on the physical keyboard: the first letter of the top row is at the left.
    const [first, last] = await Promise.all([c.first, c.last].map((k) => page.locator(`.keyboard [data-key="${k}"]`).boundingBox()));
    expect(first?.x ?? 0).toBeLessThan(last?.x ?? 0);
    await tapKeys(page, c.word);
    await page.getByTestId('key-backspace').tap();
    await tapKeys(page, c.word.slice(-1));
    await page.getByTestId('key-space').tap();
    await page.getByTestId('key-space').tap();
    await tapKeys(page, ['7']);
    await expect(page.getByTestId('title-input')).toHaveValue(`${c.word.join('')} 7`);
    const box = await keyboard.boundingBox();
    const key = await page.locator('.keyboard [data-key="7"]').boundingBox();
    // Keys a child's finger can hit: at least 7% of the screen height.
    expect(key?.height ?? 0).toBeGreaterThanOrEqual(800 * 0.07);
    expect(box?.width ?? 0).toBeGreaterThan(1280 * 0.6);
    if (c.locale === 'en') await expectAccessible(page, 'title keyboard');
    await screenshot(page, `${c.locale}-1280x800-title-keyboard`);

    await page.getByTestId('key-switch').tap();
    await expect(keyboard).toHaveAttribute('data-layout', c.nextLayout);
    await tapKeys(page, c.extra);
    await expect(page.getByTestId('title-input')).toHaveValue(c.title);
    await page.getByTestId('title-ok').tap();
    await expectScreen(page, 'claim');
    const [pkg] = await expect
      .poll(() => station?.outbox() ?? [])
      .toHaveLength(1)
      .then(() => station?.outbox() ?? []);
    expect(pkg?.manifest).toMatchObject({ publish: 'public', title: c.title, locale: c.locale });
  });
}

test('the skip key finishes the film without a name', async ({ page }) => {
  station = await startStation({ LOCALE: 'en', TITLE_ENABLED: 'true' });
  await openStation(page, station.url);
  await toTitle(page);
  await tapKeys(page, ['x']);
  await page.getByTestId('title-skip').tap();
  await expectScreen(page, 'claim');
  const [pkg] = await expect
    .poll(() => station?.outbox() ?? [])
    .toHaveLength(1)
    .then(() => station?.outbox() ?? []);
  expect(pkg?.manifest.title).toBeUndefined();
});

test('an arcade-only station skips the title step: nobody could type there', async ({ page }) => {
  // Chromium on a Pi with only arcade buttons reports no pointer at all.
  await page.addInitScript(() => {
    const real = window.matchMedia.bind(window);
    window.matchMedia = (query: string) =>
      query.includes('any-pointer: none') ? ({ ...real(query), matches: true, media: query } as MediaQueryList) : real(query);
  });
  station = await startStation({ LOCALE: 'en', TITLE_ENABLED: 'true' });
  await openStation(page, station.url);
  await page.keyboard.press('Enter');
  await expectFrames(page, 1);
  await page.keyboard.press('.');
  await expectScreen(page, 'consent');
  await page.keyboard.press('.');
  await expectScreen(page, 'claim');
  const [pkg] = await expect
    .poll(() => station?.outbox() ?? [])
    .toHaveLength(1)
    .then(() => station?.outbox() ?? []);
  expect(pkg?.manifest).toMatchObject({ publish: 'public' });
});
