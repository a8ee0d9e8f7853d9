import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFullScreen, browserPids, HEIGHT, listeners, startStation, TEST_CHROMIUM_FLAGS, WIDTH } from './display-helpers.js';
import { BIN, REPO_DIR, runOk } from './helpers.js';

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
    station = startStation(stationPort, path.join(dir.path, 'station'));
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
        KIOSK_EXTRA_FLAGS: TEST_CHROMIUM_FLAGS,
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

  it('shows the station UI full screen with no browser chrome, DevTools on loopback only', async () => {
    await waitFor('Chromium DevTools', async () => (await fetch(`http://127.0.0.1:${debugPort}/json/version`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 250,
      failIf: () => (station.running() ? undefined : `station-server exited: ${station.output()}`),
    });
    await assertFullScreen({ debugPort, stationPort, grab: grabDisplay });
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
    await assertFullScreen({ debugPort, stationPort, grab: grabDisplay });
    expect(launcher.output()).toMatch(/chromium exited with status/);
  }, 120_000);
});
