import { expect, test } from '@playwright/test';
import { type Station, startStation } from './station.js';
import { expectFrames, openStation } from './ui.js';

let station: Station;
test.beforeEach(async () => {
  station = await startStation({ DELIVERY_TARGET: '/nonexistent/sms-target' });
});
test.afterEach(async () => {
  await station.stop();
});

test('operator corner: long press top-left opens it; status shown; opacity, locale and sound change the station settings', async ({
  page,
}) => {
  // The page's timers run on a clock the test can move, so the 3 s hold needs no real wait.
  await page.clock.install();
  await openStation(page, station.url);
  await page.keyboard.press('Enter');
  await expectFrames(page, 1);
  const onion = page.getByTestId('onion');
  await expect(onion).toHaveCSS('opacity', '0.3');

  // A short tap on the corner does nothing; a 3 s press opens the panel. Had the tap
  // toggled it too, the press would close it again.
  await page.mouse.move(10, 10);
  await page.mouse.down();
  await page.clock.runFor(500);
  await page.mouse.up();
  await page.clock.runFor(3000);
  await page.mouse.down();
  await page.clock.runFor(2900);
  await expect(page.getByTestId('operator')).toHaveCount(0);
  await page.clock.runFor(100);
  await expect(page.getByTestId('operator')).toBeVisible();
  await page.mouse.up();

  await expect(page.getByTestId('op-camera')).toContainText('test');
  await expect(page.getByTestId('op-camera')).toContainText('ok');
  await expect(page.getByTestId('op-disk')).toContainText('GB');
  await expect(page.getByTestId('op-delivery')).toContainText('/nonexistent/sms-target');

  await page.getByTestId('op-onion').fill('0.8');
  await page.getByTestId('op-sound').setChecked(true);
  await page.getByTestId('op-locale').selectOption('ar');
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ar');
  await expect
    .poll(async () => (await (await fetch(`${station.url}/api/state`)).json()).settings)
    .toMatchObject({ onionOpacity: 0.8, sound: true, locale: 'ar' });

  await page.keyboard.press('F2');
  await expect(page.getByTestId('operator')).toHaveCount(0);
  await expect(onion).toHaveCSS('opacity', '0.8');
  // The difference toggle shows the last frame at full strength, blended with the live view.
  await page.getByTestId('diff').click();
  await expect(onion).toHaveCSS('mix-blend-mode', 'difference');
  await expect(onion).toHaveCSS('opacity', '1');
});
