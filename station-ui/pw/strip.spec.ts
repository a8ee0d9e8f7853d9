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
