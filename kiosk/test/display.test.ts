import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_DIR, runOk } from './helpers.js';

const WIDTH = 1024;
const HEIGHT = 600;

/** The pids of browser processes (not renderers/helpers) using this profile. */
async function browserPids(profile: string): Promise<number[]> {
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
async function listeners(port: number): Promise<string[]> {
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
async function pngToRgb(png: Buffer): Promise<Buffer> {
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
function matchingFraction(a: Buffer, b: Buffer, from: number, to: number, tolerance = 24): number {
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

// The real thing: the launcher starts Debian's Chromium on an X display (Xvfb with
// a window manager, as in the station's X11 session) against a real station-server
// with the simulated camera and buttons.
describe('stop-motion-kiosk on an X display with a real station-server', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let xvfb: ManagedProcess;
  let wm: ManagedProcess;
  let station: ManagedProcess;
  let launcher: ManagedProcess;
  let display: string;
  let stationPort: number;
  let debugPort: number;
  let profile: string;

  beforeAll(async () => {
    dir = await tempDir('kiosk-display');
    profile = path.join(dir.path, 'profile');
    // -displayfd: Xvfb picks a free display number and tells us.
    const x = spawnManaged({
      name: 'Xvfb',
      command: 'Xvfb',
      args: ['-displayfd', '1', '-screen', '0', `${WIDTH}x${HEIGHT}x24`, '-nolisten', 'tcp', '-noreset'],
    });
    xvfb = x;
    const number = await waitFor('Xvfb display number', () => /^(\d+)$/m.exec(x.output())?.[1], {
      failIf: () => (x.running() ? undefined : x.output()),
    });
    display = `:${number}`;
    wm = spawnManaged({
      name: 'matchbox-window-manager',
      command: 'matchbox-window-manager',
      args: ['-use_titlebar', 'no', '-use_cursor', 'no'],
      env: { ...process.env, DISPLAY: display },
    });
    stationPort = await freePort();
    debugPort = await freePort();
    station = spawnManaged({
      name: 'station-server',
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', 'station-server/src/main.ts'],
      cwd: REPO_DIR,
      env: {
        ...process.env,
        STATION_HOST: '127.0.0.1',
        STATION_PORT: String(stationPort),
        STATION_DATA_DIR: path.join(dir.path, 'station'),
        STATION_ID: 'kiosk-test',
        CAMERA: 'test',
        BUTTONS: 'sim',
        LOG_LEVEL: 'warn',
      },
    });
    launcher = spawnManaged({
      name: 'stop-motion-kiosk',
      command: BIN('stop-motion-kiosk'),
      args: [],
      env: {
        ...process.env,
        DISPLAY: display,
        WAYLAND_DISPLAY: '',
        STATION_PORT: String(stationPort),
        KIOSK_PROFILE_DIR: profile,
        KIOSK_DEBUG_PORT: String(debugPort),
        KIOSK_RESTART_DELAY: '0.5',
        // Nothing on this machine to render with but the CPU, and no network to phone home to.
        KIOSK_EXTRA_FLAGS: '--disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await launcher?.stop(10_000);
    // The launcher ends Chromium on SIGTERM; whatever is left of it was started by this test.
    for (const pid of profile ? await browserPids(profile) : []) process.kill(pid, 'SIGKILL');
    await station?.stop();
    await wm?.stop();
    await xvfb?.stop();
    await dir?.remove();
  }, 30_000);

  async function grabDisplay(): Promise<Buffer> {
    const shot = await runOk('import', ['-display', display, '-window', 'root', '-depth', '8', 'rgb:-']);
    return shot.stdoutBuffer;
  }

  /** Connects over DevTools, checks the viewport is the whole display, and compares pixels. */
  async function assertFullScreen(): Promise<void> {
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${debugPort}`);
    try {
      const page = await waitFor('the station page', () =>
        browser
          .contexts()
          .flatMap((c) => c.pages())
          .find((p) => p.url().startsWith(`http://127.0.0.1:${stationPort}/`)),
      );
      await page.waitForLoadState('load');
      const size = await page.evaluate(() => {
        // Runs in the page; this workspace compiles without the DOM types.
        const w = globalThis as unknown as Record<
          'innerWidth' | 'innerHeight' | 'outerWidth' | 'outerHeight' | 'screenX' | 'screenY',
          number
        >;
        return { inner: [w.innerWidth, w.innerHeight], outer: [w.outerWidth, w.outerHeight], screen: [w.screenX, w.screenY] };
      });
      // No toolbar, no tab strip, no frame: the page is the window is the display.
      expect(size).toEqual({ inner: [WIDTH, HEIGHT], outer: [WIDTH, HEIGHT], screen: [0, 0] });
      // What is on the X display is the page: compare it with the page's own
      // rendering. The attract screen moves, so retry until two grabs line up.
      let last = { all: 0, top: 0 };
      await waitFor(
        'the X display to show the page edge to edge',
        async () => {
          const pagePixels = await pngToRgb(await page.screenshot({ type: 'png' }));
          const screenPixels = await grabDisplay();
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

  it('shows the station UI full screen with no browser chrome, DevTools on loopback only', async () => {
    await waitFor('Chromium DevTools', async () => (await fetch(`http://127.0.0.1:${debugPort}/json/version`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 250,
      failIf: () => (station.running() ? undefined : `station-server exited: ${station.output()}`),
    });
    await assertFullScreen();
    // Kept for people: what the station screen looked like.
    await mkdir(path.join(REPO_DIR, 'test-results', 'kiosk'), { recursive: true });
    await runOk('import', ['-display', display, '-window', 'root', path.join(REPO_DIR, 'test-results', 'kiosk', 'station-screen.png')]);
    const addresses = await listeners(debugPort);
    expect(addresses.length).toBeGreaterThan(0);
    // 0100007F is 127.0.0.1 in /proc/net/tcp's byte order.
    for (const a of addresses) expect(a).toBe('0100007F');
  }, 120_000);

  it('brings Chromium back when it is killed', async () => {
    const [before] = await waitFor('one browser process', async () => {
      const pids = await browserPids(profile);
      return pids.length === 1 ? pids : undefined;
    });
    expect(before).toBeDefined();
    process.kill(before as number, 'SIGKILL');
    const after = await waitFor(
      'a new browser process',
      async () => {
        const pids = await browserPids(profile);
        return pids.length === 1 && pids[0] !== before ? pids[0] : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(after).not.toBe(before);
    await waitFor('Chromium DevTools again', async () => (await fetch(`http://127.0.0.1:${debugPort}/json/version`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    // After a crash: still full screen, and no "restore pages?" bar.
    await assertFullScreen();
    expect(launcher.output()).toMatch(/chromium exited with status/);
  }, 120_000);
});
