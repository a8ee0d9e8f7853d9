import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

import { uiRoot } from './station.js';

export const app = (page: Page) => page.getByTestId('app');

/** No serious or critical accessibility violation on what is on screen now. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${where}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** A PNG for review in station-ui/screenshots (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(uiRoot, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(dir, `${name}.png`), animations: 'disabled' });
}
export const strip = (page: Page) => page.getByTestId('strip');

export async function expectScreen(page: Page, screen: string, timeout?: number): Promise<void> {
  await expect(app(page)).toHaveAttribute('data-screen', screen, timeout ? { timeout } : {});
}

export async function expectFrames(page: Page, count: number): Promise<void> {
  await expect(strip(page)).toHaveAttribute('data-count', String(count));
  // Every cell of the strip painted its thumbnail.
  await expect
    .poll(() =>
      strip(page)
        .locator('.strip-cell:not(.leaving) img')
        .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)),
    )
    .toBe(true);
}

export async function openStation(page: Page, url: string, query = ''): Promise<void> {
  await page.goto(`${url}/${query}`);
  await expect(page.getByTestId('conn')).toHaveAttribute('data-state', 'open');
  // A child presses once the live view shows; on a busy machine the camera program may
  // still be starting, and a press then is refused (as it should be).
  await expect
    .poll(async () => ((await (await fetch(`${url}/api/state`)).json()) as { camera: { state: string } }).camera.state, {
      timeout: 30_000,
    })
    .toBe('ok');
}

/** Decodes the QR code from a screenshot of the element, as a phone camera would see it. */
export async function decodeQr(page: Page): Promise<string | null> {
  const qr = page.getByTestId('qr');
  await expect(qr).toBeVisible();
  const png = PNG.sync.read(await qr.screenshot());
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return code?.data ?? null;
}

/** The loop indexes the play canvas showed, sampled for a while. */
export async function sampleShown(page: Page, ms: number): Promise<number[]> {
  return page.getByTestId('play-canvas').evaluate(
    (canvas, duration) =>
      new Promise<number[]>((resolve) => {
        const seen: number[] = [];
        const start = performance.now();
        const step = () => {
          const i = Number((canvas as HTMLCanvasElement).dataset.index ?? -1);
          if (seen.at(-1) !== i) seen.push(i);
          if (performance.now() - start < duration) requestAnimationFrame(step);
          else resolve(seen);
        };
        requestAnimationFrame(step);
      }),
    ms,
  );
}
