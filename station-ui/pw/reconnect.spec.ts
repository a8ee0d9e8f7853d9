import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { type Station, simPress, startStation } from './station.js';
import { expectAccessible, expectFrames, expectScreen, openStation, screenshot } from './ui.js';

let station: Station;
let marker: string;
test.beforeEach(async () => {
  marker = path.join(os.tmpdir(), `sms-ui-restarted-${process.pid}-${Date.now()}`);
  // The kiosk watchdog: restarts the UI (here: touches a file) when heartbeats stop for 10 s.
  station = await startStation({ UI_WATCHDOG_SECONDS: '10', UI_RESTART_COMMAND: `touch ${marker}`, UI_RESTART_MIN_INTERVAL_SECONDS: '0' });
});
test.afterEach(async () => {
  await station.stop();
  rmSync(marker, { force: true });
});

test('station-server killed mid-movie: disconnected indicator, reconnect, every frame shown again', async ({ page }) => {
  await openStation(page, station.url);
  for (let i = 1; i <= 5; i++) {
    await simPress(station, 'capture');
    await expectFrames(page, i);
  }
  await expectScreen(page, 'make');
  const before = await page.locator('.strip-cell').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.file));

  await station.kill();
  await expect(page.getByTestId('conn')).toHaveAttribute('data-state', 'closed');
  await expect(page.getByTestId('offline')).toBeVisible();
  await screenshot(page, 'en-1280x720-offline');
  await expectAccessible(page, 'offline');
  // Presses while the station is away do nothing and break nothing.
  await page.keyboard.press('Enter');

  await station.restart();
  // A new server start reloads the page, which carries on on the same screen.
  await expect(page.getByTestId('conn')).toHaveAttribute('data-state', 'open', { timeout: 30_000 });
  await expect(page.getByTestId('offline')).toHaveCount(0);
  await expectScreen(page, 'make');
  await expectFrames(page, 5);
  const after = await page.locator('.strip-cell').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.file));
  expect(after).toEqual(before);

  // And the film goes on.
  await page.keyboard.press('Enter');
  await expectFrames(page, 6);
});

test('the UI reports uncaught errors and rejections to the station log', async ({ page }) => {
  const lines: string[] = [];
  station.process.child.stdout?.on('data', (b: Buffer) => lines.push(b.toString()));
  station.process.child.stderr?.on('data', (b: Buffer) => lines.push(b.toString()));
  await openStation(page, station.url);
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error('boom from the page');
    }, 0);
    void Promise.reject(new Error('rejected in the page'));
  });
  await expect.poll(() => lines.join('')).toContain('boom from the page');
  await expect.poll(() => lines.join('')).toContain('rejected in the page');
});

test('the heartbeat keeps the kiosk watchdog quiet while the page lives; it fires once the page is gone', async ({ page }) => {
  // Counted as they leave the page: four heartbeats (one every 5 s) span 15 s, past the
  // watchdog's 10 s, so had they not reached it the kiosk would have been restarted by then.
  const beats: number[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string' && f.payload.includes('"ui.heartbeat"')) beats.push(Date.now());
    }),
  );
  await openStation(page, station.url);
  await expect.poll(() => beats.length, { timeout: 90_000 }).toBeGreaterThanOrEqual(4);
  expect(existsSync(marker), 'watchdog fired although the UI was running').toBe(false);
  await page.close();
  await expect.poll(() => existsSync(marker), { timeout: 25_000 }).toBe(true);
});
