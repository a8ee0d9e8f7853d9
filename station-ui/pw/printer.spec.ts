import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { type Station, startStation } from './station.js';
import { expectFrames, expectScreen, openStation } from './ui.js';

let station: Station;
test.beforeEach(async () => {
  // A CUPS queue on a scheduler that is not there: the real lp and lpstat find nothing to talk to.
  station = await startStation({
    PRINTER: 'sms-tickets',
    CUPS_SERVER: path.join(os.tmpdir(), `sms-no-cups-${process.pid}`, 'cups.sock'),
    PRINT_CHECK_SECONDS: '1',
  });
});
test.afterEach(async () => {
  await station.stop();
});

test('a printer that cannot print shows on the operator corner with its reason, and the claim screen works as before', async ({ page }) => {
  await openStation(page, station.url);
  await page.keyboard.press('F2');
  const printer = page.getByTestId('op-printer');
  await expect(printer).toHaveAttribute('data-state', 'problem');
  await expect(printer).toContainText('sms-tickets');
  await expect(printer).toContainText('the CUPS scheduler is not running');
  await expect(printer).toHaveClass(/bad/);
  await page.keyboard.press('F2');
  await expect(page.getByTestId('operator')).toHaveCount(0);

  await page.keyboard.press('Enter');
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await page.keyboard.press('.');
  await expectScreen(page, 'consent');
  await page.keyboard.press('.');
  await expectScreen(page, 'claim');
  await expect(page.getByTestId('short-code')).toHaveText(/^[0-9A-Z]{6}$/);
  await expect(page.getByTestId('qr')).toBeVisible();

  // The ticket that could not be printed does not clear the problem.
  await page.keyboard.press('F2');
  await expect(printer).toHaveAttribute('data-state', 'problem');
  await expect(printer).toContainText('0 printed');
});
