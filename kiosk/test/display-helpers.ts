import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { chromium } from '@playwright/test';
import { type ManagedProcess, spawnManaged, waitFor } from '@stop-motion/e2e';
import { expect } from 'vitest';
import { REPO_DIR } from './helpers.js';

// Shared by the X11 and Wayland kiosk tests.

export const WIDTH = 1024;
export const HEIGHT = 600;

/** The pids of browser processes (not renderers/helpers) using this profile. */
export async function browserPids(profile: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args.includes(`--user-data-dir=${profile}`) && !args.some((a) => a.startsWith('--type='))) pids.push(Number(entry));
  }
  return pids;
}

/** Local addresses listening on a TCP port, from /proc/net/tcp{,6}. */
export async function listeners(port: number): Promise<string[]> {
  const out: string[] = [];
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A = LISTEN
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') out.push(cols[1].split(':')[0] ?? '');
    }
  }
  return out;
}

/** Raw RGB of a PNG through ImageMagick. */
export async function pngToRgb(png: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('convert', ['png:-', '-depth', '8', 'rgb:-']);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`convert exited ${code}`))));
    child.stdin.end(png);
  });
}

/** Fraction of pixels in rows [from, to) whose channels all differ by at most `tolerance`. */
export function matchingFraction(a: Buffer, b: Buffer, from: number, to: number, tolerance = 24): number {
  let same = 0;
  for (let y = from; y < to; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      if (
        Math.abs((a[i] ?? 0) - (b[i] ?? 0)) <= tolerance &&
        Math.abs((a[i + 1] ?? 0) - (b[i + 1] ?? 0)) <= tolerance &&
        Math.abs((a[i + 2] ?? 0) - (b[i + 2] ?? 0)) <= tolerance
      ) {
        same++;
      }
    }
  }
  return same / ((to - from) * WIDTH);
}

/** A real station-server (sources, as in development) with the test camera and simulated buttons. */
export function startStation(port: number, dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): ManagedProcess {
  return spawnManaged({
    name: 'station-server',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', 'station-server/src/main.ts'],
    cwd: REPO_DIR,
    env: {
      ...process.env,
      STATION_HOST: '127.0.0.1',
      STATION_PORT: String(port),
      STATION_DATA_DIR: dataDir,
      STATION_ID: 'kiosk-test',
      CAMERA: 'test',
      BUTTONS: 'sim',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  });
}

/** Nothing on this machine to render with but the CPU, and no network to phone home to. */
export const TEST_CHROMIUM_FLAGS = '--disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update';

/**
 * Connects over DevTools, checks the page's viewport is the whole display, and
 * compares a grab of the display (raw RGB) with the page's own rendering.
 */
export async function assertFullScreen(o: { debugPort: number; stationPort: number; grab: () => Promise<Buffer> }): Promise<void> {
  const { debugPort, stationPort, grab } = o;
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${debugPort}`);
  try {
    const page = await waitFor('the station page', () =>
      browser
        .contexts()
        .flatMap((c) => c.pages())
        .find((p) => p.url().startsWith(`http://127.0.0.1:${stationPort}/`)),
    );
    await page.waitForLoadState('load');
    const size = () =>
      page.evaluate(() => {
        // Runs in the page; this workspace compiles without the DOM types.
        const w = globalThis as unknown as Record<
          'innerWidth' | 'innerHeight' | 'outerWidth' | 'outerHeight' | 'screenX' | 'screenY',
          number
        >;
        return { inner: [w.innerWidth, w.innerHeight], outer: [w.outerWidth, w.outerHeight], screen: [w.screenX, w.screenY] };
      });
    // No toolbar, no tab strip, no frame: the page is the window is the display. On a
    // busy machine the window is shown at its first size before the compositor makes
    // it full screen, so this waits for the layout to settle.
    await expect.poll(size, { timeout: 30_000, interval: 250 }).toEqual({ inner: [WIDTH, HEIGHT], outer: [WIDTH, HEIGHT], screen: [0, 0] });
    // What is on the display is the page: compare it with the page's own
    // rendering. The attract screen moves, so retry until two grabs line up.
    let last = { all: 0, top: 0 };
    await waitFor(
      'the display to show the page edge to edge',
      async () => {
        const pagePixels = await pngToRgb(await page.screenshot({ type: 'png' }));
        const screenPixels = await grab();
        expect(screenPixels.length).toBe(WIDTH * HEIGHT * 3);
        expect(pagePixels.length).toBe(WIDTH * HEIGHT * 3);
        // The top 100 rows are where browser chrome or a "restore pages" bar would be.
        last = { all: matchingFraction(pagePixels, screenPixels, 0, HEIGHT), top: matchingFraction(pagePixels, screenPixels, 0, 100) };
        return last.all > 0.97 && last.top > 0.97;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last match ${JSON.stringify(last)}`);
    });
  } finally {
    await browser.close();
  }
}
