import { expect, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

export const app = (page: Page) => page.getByTestId('app');
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
