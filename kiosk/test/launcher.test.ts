import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStation } from './display-helpers.js';
import { BIN, run, runOk } from './helpers.js';

// The launcher's logic with a stand-in browser: a script that records how it was
// started, and the profile it saw, then exits (as a crash would).
describe('stop-motion-kiosk with a stand-in browser', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: http.Server;
  let port: number;
  let healthy = false;
  const launchers: ManagedProcess[] = [];
  let fakes = 0;

  beforeAll(async () => {
    dir = await tempDir('kiosk-launcher');
    port = await freePort();
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/healthz' && healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    for (const l of launchers.splice(0)) await l.stop();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dir?.remove();
  });

  /** A fake browser in its own PATH dir, under the given name. */
  async function fakeBrowser(name: string): Promise<{ bin: string; log: string }> {
    fakes++;
    const binDir = path.join(dir.path, `bin-${name}-${fakes}`);
    await mkdir(binDir);
    const log = path.join(binDir, 'runs.log');
    const script = [
      '#!/bin/bash',
      // One line per start: the arguments, then the profile's Preferences as the browser found them.
      `printf '%s\\n' "ARGS $*" >> ${log}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      'for a in "$@"; do case $a in --user-data-dir=*) d=${a#--user-data-dir=};; esac; done',
      `printf 'PREFS %s\\n' "$(cat "$d/Default/Preferences" 2>/dev/null)" >> ${log}`,
      'sleep 0.2',
      'exit 3',
    ].join('\n');
    const bin = path.join(binDir, name);
    await writeFile(bin, `${script}\n`);
    await chmod(bin, 0o755);
    // Only the tools the launcher needs, so that /usr/bin/chromium is not found.
    for (const tool of ['bash', 'curl', 'sed', 'id', 'mkdir', 'sleep', 'cat', 'env', 'stat']) {
      const found = (await run('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      await symlink(found, path.join(binDir, tool));
    }
    return { bin: binDir, log };
  }

  function launch(env: NodeJS.ProcessEnv): ManagedProcess {
    const l = spawnManaged({
      name: 'kiosk-launcher',
      command: BIN('stop-motion-kiosk'),
      args: [],
      env: { HOME: dir.path, KIOSK_RESTART_DELAY: '0.2', STATION_PORT: String(port), ...env },
    });
    launchers.push(l);
    return l;
  }

  const runs = async (log: string) => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith('ARGS '));

  it('waits for /healthz, starts chromium-browser when there is no chromium, and restarts it after every exit', async () => {
    healthy = false;
    const fake = await fakeBrowser('chromium-browser');
    const profile = path.join(dir.path, 'profile-a');
    const launcher = launch({ PATH: fake.bin, KIOSK_PROFILE_DIR: profile, DISPLAY: ':99' });
    await waitFor('the launcher to wait for the server', () => launcher.output().includes(`http://127.0.0.1:${port}/healthz`));
    expect(await runs(fake.log)).toEqual([]);
    healthy = true;
    const started = await waitFor('three starts', async () => {
      const r = await runs(fake.log);
      return r.length >= 3 ? r : undefined;
    });
    const args = (started[0] ?? '').split(' ').slice(1);
    for (const flag of [
      '--kiosk',
      '--noerrdialogs',
      '--disable-infobars',
      '--no-first-run',
      '--disable-pinch',
      '--overscroll-history-navigation=0',
      '--autoplay-policy=no-user-gesture-required',
      '--check-for-update-interval=31536000',
      '--password-store=basic',
      '--disable-session-crashed-bubble',
      '--ozone-platform=x11',
      `--user-data-dir=${profile}`,
    ]) {
      expect(args, flag).toContain(flag);
    }
    expect(args.at(-1)).toBe(`http://127.0.0.1:${port}/`);
    expect(args.includes('--no-sandbox')).toBe(process.getuid?.() === 0);
    expect(args.some((a) => a.startsWith('--remote-debugging'))).toBe(false);
    expect(launcher.output()).toMatch(/exited with status 3/);
  });

  it('clears the crash flags before every start and uses Wayland under Wayland, DevTools on 127.0.0.1 only', async () => {
    healthy = true;
    const fake = await fakeBrowser('chromium');
    const profile = path.join(dir.path, 'profile-b');
    await mkdir(path.join(profile, 'Default'), { recursive: true });
    // What Chromium leaves behind after a power cut.
    await writeFile(
      path.join(profile, 'Default', 'Preferences'),
      '{"profile":{"exit_type":"Crashed","exited_cleanly":false,"name":"Person 1"},"session":{"restore_on_startup":1}}',
    );
    launch({ PATH: fake.bin, KIOSK_PROFILE_DIR: profile, WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0', KIOSK_DEBUG_PORT: '9333' });
    const log = await waitFor('a start', async () => {
      const text = await readFile(fake.log, 'utf8').catch(() => '');
      return text.includes('PREFS') ? text : undefined;
    });
    expect(log).toContain('"exit_type":"Normal","exited_cleanly":true,"name":"Person 1"');
    expect(log).not.toContain('Crashed');
    const args = (log.split('\n').find((l) => l.startsWith('ARGS ')) ?? '').split(' ');
    expect(args).toContain('--ozone-platform=wayland');
    expect(args).not.toContain('--ozone-platform=x11');
    expect(args).toContain('--remote-debugging-address=127.0.0.1');
    expect(args).toContain('--remote-debugging-port=9333');
  });

  it('restarts the browser when the restart file is touched (station-server UI watchdog)', async () => {
    healthy = true;
    const fake = await fakeBrowser('chromium');
    // This stand-in does not exit by itself: it runs until it is ended.
    await writeFile(path.join(fake.bin, 'chromium'), `#!/bin/bash\nprintf 'ARGS %s\\n' "$*" >> ${fake.log}\nexec sleep 600\n`);
    const restartFile = path.join(dir.path, 'kiosk-restart');
    const launcher = launch({ PATH: fake.bin, KIOSK_PROFILE_DIR: path.join(dir.path, 'profile-c'), KIOSK_RESTART_FILE: restartFile });
    await waitFor('a start', async () => (await runs(fake.log)).length === 1);
    // What UI_RESTART_COMMAND runs.
    await runOk('touch', [restartFile]);
    await waitFor('a second start', async () => (await runs(fake.log)).length === 2, { timeoutMs: 20_000 });
    expect(launcher.output()).toMatch(/restart requested through/);
    // No further restarts without a new touch.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await runs(fake.log)).toHaveLength(2);
  });

  it('is shellcheck-clean', async () => {
    const result = await run('shellcheck', [BIN('stop-motion-kiosk')]);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });
});

// The contract with station-server's UI watchdog: when the page sends no heartbeat
// (here the browser is a stand-in that never loads it), station-server runs
// UI_RESTART_COMMAND, which touches the file the launcher watches.
describe('stop-motion-kiosk with the station-server UI watchdog', () => {
  it('a page without heartbeat gets its browser restarted', async () => {
    const dir = await tempDir('kiosk-watchdog');
    const port = await freePort();
    const restartFile = path.join(dir.path, 'kiosk-restart');
    const station = startStation(port, path.join(dir.path, 'station'), {
      UI_WATCHDOG_SECONDS: '2',
      UI_RESTART_MIN_INTERVAL_SECONDS: '0',
      UI_RESTART_COMMAND: `/usr/bin/touch ${restartFile}`,
    });
    let launcher: ManagedProcess | undefined;
    try {
      const binDir = path.join(dir.path, 'bin');
      await mkdir(binDir);
      const log = path.join(dir.path, 'runs.log');
      await writeFile(path.join(binDir, 'chromium'), `#!/bin/bash\necho start >> ${log}\nexec sleep 600\n`);
      await chmod(path.join(binDir, 'chromium'), 0o755);
      const l = spawnManaged({
        name: 'kiosk-launcher',
        command: BIN('stop-motion-kiosk'),
        args: [],
        env: {
          ...process.env,
          CHROMIUM: path.join(binDir, 'chromium'),
          HOME: dir.path,
          STATION_PORT: String(port),
          KIOSK_DEBUG_PORT: '0',
          KIOSK_RESTART_DELAY: '0.2',
          KIOSK_RESTART_FILE: restartFile,
          KIOSK_PROFILE_DIR: path.join(dir.path, 'profile'),
        },
      });
      launcher = l;
      const starts = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
      await waitFor('a first start', async () => (await starts()) >= 1, {
        timeoutMs: 30_000,
        failIf: () => (station.running() ? undefined : station.output()),
      });
      await waitFor('a restart by the watchdog', async () => (await starts()) >= 2, { timeoutMs: 30_000 });
      expect(l.output()).toMatch(/restart requested through/);
    } finally {
      await launcher?.stop();
      await station.stop();
      await dir.remove();
    }
  });
});
