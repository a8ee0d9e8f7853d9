import { expect, test } from '@playwright/test';
import { type Station, simPress, startStation } from './station.js';
import { expectScreen, openStation, strip } from './ui.js';

let station: Station;
test.beforeEach(async () => {
  station = await startStation();
});
test.afterEach(async () => {
  await station.stop();
});

// A removed <img> whose load is in flight keeps itself, and the whole detached screen
// it hung in, alive until the load ends. The strip clears the source of a cell's
// images as the cell leaves, which is what cancels the load.
test('a strip cell that leaves while its thumbnail is loading cancels the load', async ({ page }) => {
  const held = new Set<string>();
  // The station never answers a thumbnail here, as under a slow disk or a busy CPU.
  await page.route('**/thumbs/**', (route) => {
    held.add(route.request().url());
  });
  const cancelled = new Set<string>();
  page.on('requestfailed', (r) => {
    if (r.url().includes('/thumbs/')) cancelled.add(r.url());
  });
  await openStation(page, station.url);
  await simPress(station, 'capture');
  await expectScreen(page, 'make');
  await expect(strip(page)).toHaveAttribute('data-count', '1');
  await simPress(station, 'capture');
  await expect(strip(page)).toHaveAttribute('data-count', '2');
  await expect.poll(() => held.size).toBe(2);
  // Finishing leaves the make screen, and its strip with it.
  await simPress(station, 'finish');
  await expectScreen(page, 'consent');
  await expect.poll(() => [...cancelled].sort()).toEqual([...held].sort());
});

// Swapped in by `src`, the full-screen onion skin would decode in the frame that
// shows it and hold up the strip's newest thumbnail; it is decoded first, and until
// then (or when the frame cannot load) the previous onion skin stays.
test('the onion skin changes to a new frame only once that frame has loaded', async ({ page }) => {
  const held: Array<() => Promise<void>> = [];
  let failNext = false;
  await page.route('**/frames/**/0001.jpg*', (route) => {
    held.push(() => route.continue());
  });
  await page.route('**/frames/**/0002.jpg*', (route) => (failNext ? route.abort() : route.continue()));
  await openStation(page, station.url);
  await simPress(station, 'capture');
  await expectScreen(page, 'make');
  const onion = page.getByTestId('onion');
  await expect(onion).toHaveAttribute('src', /\/0000\.jpg/);
  await simPress(station, 'capture');
  await expect(strip(page)).toHaveAttribute('data-count', '2');
  await expect.poll(() => held.length).toBeGreaterThan(0);
  // Loading: the first frame stays, whole.
  await expect(onion).toHaveAttribute('src', /\/0000\.jpg/);
  expect(await onion.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  for (const release of held.splice(0)) await release();
  await expect(onion).toHaveAttribute('src', /\/0001\.jpg/);
  // A frame that cannot load leaves the last good onion skin in place.
  failNext = true;
  const failed = page.waitForEvent('requestfailed', (r) => r.url().includes('/0002.jpg'));
  await simPress(station, 'capture');
  await expect(strip(page)).toHaveAttribute('data-count', '3');
  await failed;
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  await expect(onion).toHaveAttribute('src', /\/0001\.jpg/);
});
