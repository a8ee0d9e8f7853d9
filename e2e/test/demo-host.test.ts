import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDemoHost, lanAddresses } from '../src/demo-host.js';
import { type Festival, startFestival } from '../src/festival.js';
import { tempDir } from '../src/harness/index.js';
import { repoRoot } from '../src/services.js';

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({
  address,
  family,
  internal,
  netmask: family === 'IPv4' ? '255.255.255.0' : 'ffff:ffff:ffff:ffff::',
  mac: '02:00:00:00:00:01',
  cidr: null,
  ...(family === 'IPv6' ? { scopeid: 0 } : {}),
});
const machine = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  wlan0: [nic('fe80::1', 'IPv6'), nic('2001:db8::5', 'IPv6'), nic('192.168.4.23', 'IPv4')],
} as unknown as Parameters<typeof lanAddresses>[0];

describe('DEMO_HOST', () => {
  it('lists the addresses a phone can reach, IPv4 first, without loopback or link-local', () => {
    expect(lanAddresses(machine)).toEqual(['192.168.4.23', '2001:db8::5']);
  });

  it('takes an address of this machine or loopback, and says why it refuses anything else', () => {
    expect(checkDemoHost(undefined, machine)).toEqual({ ok: true, host: '127.0.0.1' });
    expect(checkDemoHost(' 192.168.4.23 ', machine)).toEqual({ ok: true, host: '192.168.4.23' });
    expect(checkDemoHost('127.0.0.2', machine)).toEqual({ ok: true, host: '127.0.0.2' });
    const refused: Array<[string, RegExp]> = [
      ['0.0.0.0', /not the wildcard 0\.0\.0\.0\. This machine's addresses: 192\.168\.4\.23, 2001:db8::5\./],
      ['festival.local', /must be an IP address of this machine, not "festival\.local"/],
      ['10.9.9.9', /10\.9\.9\.9 is not an address of this machine/],
    ];
    for (const [value, message] of refused) {
      const r = checkDemoHost(value, machine);
      expect(r.ok, value).toBe(false);
      if (!r.ok) expect(r.message).toMatch(message);
    }
  });

  it('npm run demo stops at once with the reason on a wrong DEMO_HOST', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'e2e/src/demo.ts')], {
      cwd: repoRoot,
      env: { ...process.env, DEMO_HOST: '0.0.0.0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DEMO_HOST must be the address phones open');
  });
});

describe('the festival on a public address', () => {
  let festival: Festival | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterAll(async () => {
    await festival?.stop();
    await dir?.remove();
  });

  it('binds the gallery and S3 there, points the QR links there, and keeps the station on loopback', async () => {
    dir = await tempDir('demo-host');
    // 127.0.0.2 is this machine but not 127.0.0.1: what listens there is not on 127.0.0.1.
    festival = await startFestival({ dataDir: dir.path, stations: 1, publicHost: '127.0.0.2', redis: 'off', logLevel: 'warn' });
    const galleryUrl = `http://127.0.0.2:${festival.gallery.port}`;
    expect(festival.gallery.url).toBe(galleryUrl);
    expect((await fetch(`${galleryUrl}/healthz`)).ok).toBe(true);
    await expect(fetch(`http://127.0.0.1:${festival.gallery.port}/healthz`)).rejects.toThrow();
    expect(festival.s3.endpoint).toBe(`http://127.0.0.2:${festival.s3.port}`);

    const station = festival.stations[0];
    if (!station) throw new Error('no station');
    expect(new URL(station.url).hostname).toBe('127.0.0.1');
    const state = (await (await fetch(`${station.url}/api/state`)).json()) as { settings: { galleryPublicUrl: string } };
    expect(state.settings.galleryPublicUrl).toBe(galleryUrl);
  });
});
