import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, KIOSK_DIR, run, runOk } from './helpers.js';

describe('stop-motion-station-secret', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await tempDir('station-secret');
    env = {
      ...process.env,
      RSYNCD_SECRETS: path.join(dir.path, 'rsyncd.secrets'),
      STATION_SECRETS_DIR: path.join(dir.path, 'stations'),
      RSYNCD_MODULES: path.join(dir.path, 'rsyncd.d'),
      STOP_MOTION_INBOX: path.join(dir.path, 'inbox'),
      STOP_MOTION_INBOX_OWNER: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    };
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('adds a station once, keeps its secret private, lists and removes it', async () => {
    const tool = BIN('stop-motion-station-secret');
    const first = await runOk(tool, ['add', 's11'], { env });
    const secret = (await readFile(path.join(dir.path, 'stations', 's11.secret'), 'utf8')).trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout).not.toContain(secret);
    expect(first.stdout).toContain('stations/s11.secret');
    const again = await runOk(tool, ['add', 's11'], { env });
    expect(again.stdout).toMatch(/already has a secret/);
    await runOk(tool, ['add', 's12'], { env });
    expect(await readFile(env.RSYNCD_SECRETS as string, 'utf8')).toBe(
      `station-s11:${secret}\nstation-s12:${(await readFile(path.join(dir.path, 'stations', 's12.secret'), 'utf8')).trim()}\n`,
    );
    expect((await stat(env.RSYNCD_SECRETS as string)).mode & 0o777).toBe(0o600);
    // The processor (the inbox owner's group) reads a station's secret to check its signed reports; nobody else.
    const own = await stat(path.join(dir.path, 'stations', 's11.secret'));
    expect(own.mode & 0o777).toBe(0o640);
    expect(own.gid).toBe(process.getgid?.() ?? 0);
    expect((await stat(path.join(dir.path, 'stations'))).mode & 0o777).toBe(0o750);
    expect((await runOk(tool, ['list'], { env })).stdout).toBe('station-s11\nstation-s12\n');
    // Each station its own module, confined to its own area of the inbox.
    expect(await readFile(path.join(dir.path, 'rsyncd.d', 's11.conf'), 'utf8')).toBe(
      `[station-s11]\n  comment = movie packages from station s11\n  path = ${path.join(dir.path, 'inbox', 's11')}\n  auth users = station-s11\n`,
    );
    expect((await stat(path.join(dir.path, 'inbox', 's12'))).isDirectory()).toBe(true);
    // The marker that keeps an empty area from being taken for a package.
    expect((await stat(path.join(dir.path, 'inbox', 's12', '.stop-motion-area'))).isFile()).toBe(true);
    await runOk(tool, ['remove', 's11'], { env });
    expect((await runOk(tool, ['list'], { env })).stdout).toBe('station-s12\n');
    await expect(stat(path.join(dir.path, 'rsyncd.d', 's11.conf'))).rejects.toThrow();
    await expect(stat(path.join(dir.path, 'inbox', 's11'))).rejects.toThrow();
    await expect(stat(path.join(dir.path, 'stations', 's11.secret'))).rejects.toThrow();
    const bad = await run(tool, ['add', '../x'], { env });
    expect(bad.code).toBe(1);
  });
});

describe('stop-motion-session-start', () => {
  it('hands the display to the user manager and starts kiosk.service, without blanking on X11', async () => {
    const dir = await tempDir('session-start');
    try {
      const log = path.join(dir.path, 'calls.log');
      const bin = path.join(dir.path, 'bin');
      await mkdir(bin);
      for (const fake of ['systemctl', 'xset']) {
        await writeFile(path.join(bin, fake), `#!/bin/bash\necho "${fake} $*" >> ${log}\n`);
        await chmod(path.join(bin, fake), 0o755);
      }
      for (const tool of ['bash', 'env']) {
        await symlink((await runOk('sh', ['-c', `command -v ${tool}`])).stdout.trim(), path.join(bin, tool));
      }
      await runOk(BIN('stop-motion-session-start'), [], {
        env: { PATH: bin, DISPLAY: ':0', XCURSOR_THEME: 'stop-motion-invisible' },
      });
      expect(await readFile(log, 'utf8')).toBe(
        'xset s off s noblank -dpms\nsystemctl --user import-environment DISPLAY XCURSOR_THEME\nsystemctl --user restart kiosk.service\n',
      );
      await writeFile(log, '');
      await runOk(BIN('stop-motion-session-start'), [], { env: { PATH: bin, WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' } });
      expect(await readFile(log, 'utf8')).toBe(
        'systemctl --user import-environment WAYLAND_DISPLAY DISPLAY\nsystemctl --user restart kiosk.service\n',
      );
    } finally {
      await dir.remove();
    }
  });
});

describe('invisible cursor', () => {
  it('is a valid 1x1 transparent Xcursor file', async () => {
    const dir = await tempDir('cursor');
    try {
      const file = path.join(dir.path, 'default');
      await runOk('bash', ['-c', `source "${KIOSK_DIR}/lib/provision.sh"; write_invisible_cursor "$1"`, 'bash', file]);
      const b = await readFile(file);
      expect(b.length).toBe(68);
      expect(b.subarray(0, 4).toString('latin1')).toBe('Xcur');
      const u32 = (offset: number) => b.readUInt32LE(offset);
      // file header: size, version, entries
      expect([u32(4), u32(8), u32(12)]).toEqual([16, 0x10000, 1]);
      // table of contents: image chunk, nominal size 1, position
      expect([u32(16), u32(20), u32(24)]).toEqual([0xfffd0002, 1, 28]);
      // image chunk: header, type, size, version, width, height, xhot, yhot, delay, pixel
      expect([28, 32, 36, 40, 44, 48, 52, 56, 60, 64].map(u32)).toEqual([36, 0xfffd0002, 1, 1, 1, 1, 0, 0, 0, 0]);
    } finally {
      await dir.remove();
    }
  });
});
