import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_DIR, run, runOk } from './helpers.js';

const GENERATOR = path.join(KIOSK_DIR, 'remote', 'stop-motion-remote-access');

interface UciSection {
  type: string;
  name: string;
  options: Record<string, string>;
  lists: Record<string, string[]>;
}

/** Parses OpenWrt UCI config text ("config type 'name'", "option k 'v'", "list k 'v'"). */
function parseUci(text: string): UciSection[] {
  const sections: UciSection[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(config|option|list)\s+(\S+)(?:\s+'([^']*)')?$/.exec(line);
    if (!m) throw new Error(`not UCI: ${line}`);
    const [, kind, key, value = ''] = m;
    if (kind === 'config') {
      sections.push({ type: key ?? '', name: value, options: {}, lists: {} });
      continue;
    }
    const current = sections.at(-1);
    if (!current) throw new Error(`${kind} before any config: ${line}`);
    if (kind === 'option') current.options[key ?? ''] = value;
    else current.lists[key ?? ''] = [...(current.lists[key ?? ''] ?? []), value];
  }
  return sections;
}

describe('remote access for three stations', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let out: string;
  let vpnPort: number;

  beforeAll(async () => {
    dir = await tempDir('remote');
    out = path.join(dir.path, 'remote-config');
    vpnPort = await freePort();
    const devices = path.join(dir.path, 'devices.txt');
    await writeFile(
      devices,
      '# the hall\nstation-01 10.0.0.11 DC:A6:32:00:00:11\nstation-02 10.0.0.12  # by the window\nstation-03 10.0.0.3 dc:a6:32:00:00:03\n',
    );
    await runOk(GENERATOR, [
      '--devices',
      devices,
      '--out',
      out,
      '--vpn-server',
      '127.0.0.1',
      '--vpn-port',
      String(vpnPort),
      '--admin-user',
      'ops',
      '--wireguard',
    ]);
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('maps 22000+X on the router to 10.0.0.X:22, from the VPN only', async () => {
    const sections = parseUci(await readFile(path.join(out, 'openwrt', 'firewall'), 'utf8'));
    const redirects = sections.filter((s) => s.type === 'redirect');
    expect(redirects.map((r) => [r.options.src_dport, r.options.dest_ip, r.options.dest_port])).toEqual([
      ['22011', '10.0.0.11', '22'],
      ['22012', '10.0.0.12', '22'],
      ['22003', '10.0.0.3', '22'],
    ]);
    for (const r of redirects) {
      expect(r.options).toMatchObject({ src: 'vpn', dest: 'lan', proto: 'tcp', target: 'DNAT' });
    }
    // Section names are unique (uci would merge duplicates).
    expect(new Set(sections.map((s) => s.name)).size).toBe(sections.length);
    const zone = sections.find((s) => s.type === 'zone');
    expect(zone?.options).toMatchObject({ name: 'vpn', input: 'REJECT', forward: 'REJECT' });
    expect(zone?.lists.network).toEqual(['vpn']);
    const network = parseUci(await readFile(path.join(out, 'openwrt', 'network'), 'utf8'));
    expect(network[0]).toMatchObject({ type: 'interface', name: 'vpn', options: { proto: 'none', device: 'tun0' } });
  });

  it('writes static DHCP leases for the devices with a MAC address', async () => {
    const hosts = parseUci(await readFile(path.join(out, 'openwrt', 'dhcp'), 'utf8'));
    expect(hosts.map((h) => [h.type, h.options.name, h.options.mac, h.options.ip])).toEqual([
      ['host', 'station-01', 'dc:a6:32:00:00:11', '10.0.0.11'],
      ['host', 'station-03', 'dc:a6:32:00:00:03', '10.0.0.3'],
    ]);
  });

  it('writes an ssh config and a table with one port per device', async () => {
    const ssh = await readFile(path.join(out, 'ssh', 'config'), 'utf8');
    expect(ssh).toContain('Host station-02\n\tHostName 10.8.0.2\n\tPort 22012\n\tUser ops\n');
    expect(await readFile(path.join(out, 'devices.md'), 'utf8')).toContain('| station-03 | 10.0.0.3 | `ssh -p 22003 ops@10.8.0.2` |');
  });

  it('openvpn accepts every config (--verb 0 finds no option error)', async () => {
    for (const name of ['server.conf', 'router.conf', 'operator.conf']) {
      // Without the PKI files openvpn stops at the file checks, after parsing every option.
      const result = await run('timeout', ['5', 'openvpn', '--config', name, '--verb', '0'], { cwd: path.join(out, 'openvpn') });
      const optionErrors = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('Options error') && !/fails with '.*': No such file/.test(l) && !/Please correct/.test(l));
      expect(optionErrors, name).toEqual([]);
      expect(result.stdout + result.stderr, name).not.toMatch(/Unrecognized option/);
    }
  });

  it('keeps fixed addresses out of the operators pool', async () => {
    const server = await readFile(path.join(out, 'openvpn', 'server.conf'), 'utf8');
    expect(server).toMatch(/^server 10\.8\.0\.0 255\.255\.255\.0 nopool$/m);
    expect(server).toMatch(/^ifconfig-pool 10\.8\.0\.128 10\.8\.0\.253 255\.255\.255\.0$/m);
    expect(await readFile(path.join(out, 'openvpn', 'ccd', 'router'), 'utf8')).toMatch(/^ifconfig-push 10\.8\.0\.2 255\.255\.255\.0$/m);
  });

  it('a real tunnel: the operator who connects first gets a pool address, the router keeps its fixed one', async () => {
    const vpn = path.join(out, 'openvpn');
    // A throwaway PKI, as easy-rsa would make one: a CA, a server and a client certificate.
    const ssl = (args: string[]) => runOk('openssl', args, { cwd: vpn });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await ssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=stop-motion-ca']);
    for (const [name, usage] of [
      ['server', 'serverAuth'],
      ['router', 'clientAuth'],
      ['operator', 'clientAuth'],
    ] as const) {
      await writeFile(path.join(vpn, `${name}.ext`), `keyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=${usage}\n`);
      await ssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
      await ssl(
        ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
          '-out',
          `${name}.crt`,
          '-days',
          '2',
          '-extfile',
          `${name}.ext`,
        ]),
      );
    }
    await runOk('openvpn', ['--genkey', 'secret', 'ta.key'], { cwd: vpn });
    await mkdir(path.join(vpn, 'logs'), { recursive: true });
    // Both ends in a private network namespace (tun devices, no effect on this host).
    const script = `
      set -u
      ip link set lo up
      openvpn --cd "$1" --config "$2" --verb 3 > logs/server.log 2>&1 & s=$!
      # The operator first: before the fix it took the router's address.
      openvpn --cd "$1" --config operator.conf --verb 3 > logs/operator.log 2>&1 & o=$!
      i=0
      while [ $i -lt 300 ] && ! grep -q "Initialization Sequence Completed" logs/operator.log; do sleep 0.1; i=$((i+1)); done
      openvpn --cd "$1" --config router.conf --verb 3 > logs/router.log 2>&1 & c=$!
      i=0
      while [ $i -lt 300 ] && ! grep -q "Initialization Sequence Completed" logs/router.log; do sleep 0.1; i=$((i+1)); done
      ip -4 -o addr show
      kill $s $o $c; wait
    `;
    // As root a network namespace is enough (and openvpn drops to nobody as
    // configured); otherwise a user namespace adds root inside it, where only
    // that one user exists to switch to.
    const asRoot = process.getuid?.() === 0;
    let serverConf = 'server.conf';
    if (!asRoot) {
      serverConf = 'server-unprivileged.conf';
      const text = await readFile(path.join(vpn, 'server.conf'), 'utf8');
      await writeFile(path.join(vpn, serverConf), text.replace(/^(user|group) .*$/gm, ''));
    }
    const result = await runOk('unshare', [asRoot ? '-n' : '-rn', 'sh', '-c', script, 'sh', vpn, serverConf], {
      cwd: vpn,
      timeoutMs: 40_000,
    });
    const routerLog = await readFile(path.join(vpn, 'logs', 'router.log'), 'utf8');
    const operatorLog = await readFile(path.join(vpn, 'logs', 'operator.log'), 'utf8');
    expect(operatorLog).toContain('Initialization Sequence Completed');
    expect(routerLog).toContain('Initialization Sequence Completed');
    expect(routerLog).toMatch(/PUSH_REPLY.*ifconfig 10\.8\.0\.2 255\.255\.255\.0/);
    const operatorIp = /PUSH_REPLY.*ifconfig (10\.8\.0\.\d+) 255\.255\.255\.0/.exec(operatorLog)?.[1];
    expect(operatorIp, operatorLog.slice(-2000)).toBeDefined();
    const host = Number(operatorIp?.split('.')[3]);
    expect(host).toBeGreaterThanOrEqual(128);
    expect(host).toBeLessThanOrEqual(253);
    // Three tunnel interfaces in the namespace: server .1, router .2, the operator in the pool.
    const tunAddrs = [...result.stdout.matchAll(/tun\d+\s+inet (10\.8\.0\.\d+)\/24/g)].map((m) => m[1]).sort();
    expect(tunAddrs).toEqual(['10.8.0.1', '10.8.0.2', operatorIp].sort());
  });

  it('writes WireGuard configs with the same layout', async () => {
    const server = await readFile(path.join(out, 'wireguard', 'server.conf'), 'utf8');
    expect(server).toMatch(/^\[Interface\]\nAddress = 10\.8\.1\.1\/24\nListenPort = 51820$/m);
    expect(server.match(/^\[Peer\]$/gm)).toHaveLength(2);
    expect(parseUci(await readFile(path.join(out, 'wireguard', 'router-network'), 'utf8'))[0]?.options.proto).toBe('wireguard');
  });

  it('rejects a bad device list with the line', async () => {
    const bad = path.join(dir.path, 'bad.txt');
    for (const [text, message] of [
      ['a 10.0.0.5\nb 10.0.0.5\n', /bad\.txt:2: 10\.0\.0\.5 is used by a too/],
      ['a 192.168.1.5\n', /bad\.txt:1: a: 192\.168\.1\.5 is not in 10\.0\.0\.0\/24/],
      ['A;rm 10.0.0.5\n', /bad\.txt:1: name/],
      ['a 10.0.0.255\n', /not a device address/],
      ['a 10.0.0.5 dc:a6:32\n', /not a MAC address/],
    ] as const) {
      await writeFile(bad, text);
      const result = await run(GENERATOR, ['--devices', bad, '--out', path.join(dir.path, 'bad'), '--vpn-server', 'vpn.example.org']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
