import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';

test('Debian Chromium opens a page from a local server and takes a screenshot', async ({ page }, testInfo) => {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><title>smoke</title><h1 style="color:#c33">Stop Motion Stations</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect(page.locator('h1')).toHaveText('Stop Motion Stations');
    const png = await page.screenshot({ path: testInfo.outputPath('smoke.png') });
    // A PNG starts with its 8-byte signature and is not empty.
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(1000);
  } finally {
    server.close();
  }
});
