import { chmod, chown, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFullScreen, browserPids, HEIGHT, startStation, TEST_CHROMIUM_FLAGS, WIDTH } from './display-helpers.js';
import { BIN, runOk } from './helpers.js';

// The station's default session is Wayland (labwc, a wlroots compositor). Here: sway,
// also wlroots, headless with the software renderer, and grim to grab the output.
// Compositor and kiosk run as an unprivileged user, as on a station, so Chromium
// keeps its sandbox.
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
/** Runs a command as nobody when the test runs as root, as is otherwise. */
const unprivileged = (command: string, args: string[]) =>
  asRoot ? { command: 'setpriv', args: ['--reuid=65534', '--regid=65534', '--clear-groups', command, ...args] } : { command, args };

describe('stop-motion-kiosk under a Wayland compositor', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let runtime: string;
  let sway: ManagedProcess;
  let station: ManagedProcess;
  let launcher: ManagedProcess;
  let stationPort: number;
  let debugPort: number;
  let profile: string;
  let waylandEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await tempDir('kiosk-wayland');
    runtime = path.join(dir.path, 'runtime');
    const home = path.join(dir.path, 'home');
    await mkdir(runtime, { mode: 0o700 });
    await mkdir(home);
    if (asRoot) {
      await chown(dir.path, NOBODY, NOBODY);
      await chown(runtime, NOBODY, NOBODY);
      await chown(home, NOBODY, NOBODY);
    }
    profile = path.join(home, 'profile');
    const config = path.join(dir.path, 'sway.conf');
    await writeFile(config, `output HEADLESS-1 resolution ${WIDTH}x${HEIGHT}\ndefault_border none\nxwayland disable\n`);
    waylandEnv = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime };
    const s = unprivileged('sway', ['-c', config]);
    sway = spawnManaged({
      name: 'sway',
      ...s,
      env: { ...waylandEnv, WLR_BACKENDS: 'headless', WLR_RENDERER: 'pixman', WLR_LIBINPUT_NO_DEVICES: '1' },
    });
    const socket = await waitFor('the Wayland socket', async () => (await readdir(runtime)).find((f) => /^wayland-\d+$/.test(f)), {
      failIf: () => (sway.running() ? undefined : sway.output()),
    });
    waylandEnv.WAYLAND_DISPLAY = socket;
    stationPort = await freePort();
    debugPort = await freePort();
    station = startStation(stationPort, path.join(dir.path, 'station'));
    // The unprivileged user may not be able to read the checkout (a home directory or
    // a mktemp -d is mode 0700), so it runs a copy from the test's own directory.
    const launcherCopy = path.join(dir.path, 'stop-motion-kiosk');
    await copyFile(BIN('stop-motion-kiosk'), launcherCopy);
    await chmod(launcherCopy, 0o755);
    const l = unprivileged(launcherCopy, []);
    launcher = spawnManaged({
      name: 'stop-motion-kiosk',
      ...l,
      env: {
        ...waylandEnv,
        STATION_PORT: String(stationPort),
        KIOSK_PROFILE_DIR: profile,
        KIOSK_DEBUG_PORT: String(debugPort),
        KIOSK_EXTRA_FLAGS: TEST_CHROMIUM_FLAGS,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await launcher?.stop(10_000);
    for (const pid of profile ? await browserPids(profile) : []) process.kill(pid, 'SIGKILL');
    await station?.stop();
    await sway?.stop();
    await dir?.remove();
  }, 30_000);

  /** The compositor's output as raw RGB (grim writes PPM: a text header, then the pixels). */
  async function grab(): Promise<Buffer> {
    const g = unprivileged('grim', ['-t', 'ppm', '-']);
    const ppm = (await runOk(g.command, g.args, { env: waylandEnv })).stdoutBuffer;
    let offset = 0;
    for (let fields = 0; fields < 4; offset++) if (ppm[offset] === 0x0a || ppm[offset] === 0x20) fields++;
    return ppm.subarray(offset);
  }

  it('runs Chromium on Wayland, sandboxed, showing the station UI full screen', async () => {
    await waitFor('Chromium DevTools', async () => (await fetch(`http://127.0.0.1:${debugPort}/json/version`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 250,
      failIf: () => (launcher.running() ? undefined : `launcher exited: ${launcher.output()}`),
    });
    const [pid] = await browserPids(profile);
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(args).toContain('--ozone-platform=wayland');
    expect(args).not.toContain('--no-sandbox');
    await assertFullScreen({ debugPort, stationPort, grab });
  }, 120_000);
});
