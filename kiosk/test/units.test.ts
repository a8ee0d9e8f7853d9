import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { freePort, tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, KIOSK_DIR, REPO_DIR, run } from './helpers.js';

const SYSTEM_UNITS = ['station-server.service', 'processor.service', 'gallery.service'];
const INSTALL_ROOT = '/opt/stop-motion/app';

/** Settings names the services read (root README, "Configuration"); units may only set these. */
const KNOWN_ENV = new Set([
  'NODE_ENV',
  'STATION_DATA_DIR',
  'PROCESSOR_DATA_DIR',
  'PROCESSOR_INBOX',
  'MPV_SOCKET',
  'XDG_CACHE_HOME',
  'STATION_UI_DIR',
]);

async function unitText(rel: string): Promise<string> {
  return readFile(path.join(KIOSK_DIR, 'systemd', rel), 'utf8');
}

/** Key=value lines of one [Section] of a unit file. */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1] ?? '';
      continue;
    }
    if (current !== name) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe('systemd units', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('units');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('lists exactly the units this test verifies', async () => {
    const files = (await readdir(path.join(KIOSK_DIR, 'systemd'))).filter((f) => f.endsWith('.service')).sort();
    expect(files).toEqual([...SYSTEM_UNITS].sort());
    expect(await readdir(path.join(KIOSK_DIR, 'systemd', 'user'))).toEqual(['kiosk.service']);
  });

  // The units name the installed tree (/opt/stop-motion/app is a copy of this
  // repository); verify needs the executables to exist, so the test points the
  // units at this checkout and at the node running the test.
  async function rendered(rel: string): Promise<string> {
    const text = await unitText(rel);
    const out = path.join(dir.path, rel);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, text.replaceAll(INSTALL_ROOT, REPO_DIR).replaceAll('/usr/bin/node', process.execPath));
    return out;
  }

  it('systemd-analyze verify passes for every system unit, without a warning', async () => {
    const files = await Promise.all(SYSTEM_UNITS.map((u) => rendered(u)));
    const result = await run('systemd-analyze', ['verify', '--man=no', ...files]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('systemd-analyze --user verify passes for kiosk.service, without a warning', async () => {
    const file = await rendered('user/kiosk.service');
    const runtime = path.join(dir.path, 'runtime');
    await mkdir(runtime, { recursive: true, mode: 0o700 });
    const result = await run('systemd-analyze', ['--user', 'verify', '--man=no', file], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtime },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('verify catches a broken unit (the check can fail)', async () => {
    const file = path.join(dir.path, 'broken.service');
    await writeFile(file, '[Service]\nExecStart=/nonexistent/program\n');
    const result = await run('systemd-analyze', ['verify', '--man=no', file]);
    expect(result.code).not.toBe(0);
  });

  for (const unit of SYSTEM_UNITS) {
    it(`${unit} restarts always, is hardened and runs the built service`, async () => {
      const text = await unitText(unit);
      const service = section(text, 'Service');
      const one = (key: string) => service.get(key)?.[0];
      const ws = unit.replace('.service', '');
      expect(one('ExecStart')).toBe(`/usr/bin/node ${INSTALL_ROOT}/${ws}/dist/src/main.js`);
      expect(one('WorkingDirectory')).toBe(`${INSTALL_ROOT}/${ws}`);
      expect(one('EnvironmentFile')).toBe(`/etc/stop-motion/${ws}.env`);
      expect(one('ExecStartPost')).toBe(`${INSTALL_ROOT}/kiosk/bin/stop-motion-wait-healthy ${ws}`);
      expect(one('Restart')).toBe('always');
      // sd_notify from a systemd-notify child: READY once listening, WATCHDOG while alive.
      expect(one('Type')).toBe('notify');
      expect(one('NotifyAccess')).toBe('all');
      expect(Number(one('WatchdogSec'))).toBeGreaterThan(0);
      expect(section(text, 'Unit').get('StartLimitIntervalSec')).toEqual(['0']);
      for (const [key, value] of [
        ['NoNewPrivileges', 'yes'],
        ['ProtectSystem', 'strict'],
        ['ProtectHome', 'yes'],
        ['PrivateTmp', 'yes'],
        ['CapabilityBoundingSet', ''],
      ]) {
        expect(one(key as string), key).toBe(value);
      }
      // Everything else is read-only: what the service writes is its StateDirectory.
      if (ws !== 'gallery') expect(one('StateDirectory')).toMatch(/^stop-motion\//);
      for (const env of service.get('Environment') ?? []) {
        expect(KNOWN_ENV.has(env.split('=')[0] ?? ''), env).toBe(true);
      }
      // The build layout the unit relies on: rootDir "." and outDir "dist" give dist/src/main.js.
      const tsconfig = JSON.parse(await readFile(path.join(REPO_DIR, ws, 'tsconfig.json'), 'utf8')) as {
        compilerOptions: { rootDir: string; outDir: string };
      };
      expect(tsconfig.compilerOptions).toMatchObject({ rootDir: '.', outDir: 'dist' });
    });
  }

  it('units that need devices do not close them off (ProtectClock implies DeviceAllow=char-rtc)', async () => {
    for (const unit of ['station-server.service', 'processor.service']) {
      const service = section(await unitText(unit), 'Service');
      for (const key of ['ProtectClock', 'DeviceAllow', 'DevicePolicy', 'PrivateDevices']) {
        expect(service.has(key), `${unit} ${key}`).toBe(false);
      }
    }
  });

  it('the station server stays on loopback: the unit does not override STATION_HOST', async () => {
    const text = await unitText('station-server.service');
    expect(text).not.toMatch(/STATION_HOST/);
  });
});

describe('stop-motion-wait-healthy', () => {
  it('returns once /healthz answers and fails when nothing does', async () => {
    const port = await freePort();
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits++;
      // First answers are errors: the script must keep asking.
      res.statusCode = req.url === '/healthz' && hits > 2 ? 200 : 503;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const ok = await run(BIN('stop-motion-wait-healthy'), ['station-server', '20'], {
        env: { ...process.env, STATION_PORT: String(port) },
      });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(hits).toBeGreaterThan(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const down = await run(BIN('stop-motion-wait-healthy'), ['gallery', '1'], {
      env: { ...process.env, GALLERY_HOST: '0.0.0.0', GALLERY_PORT: String(port) },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`http://127.0.0.1:${port}/healthz`);
  });
});
