import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';
import { canConnect, freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, runOk } from './helpers.js';

const SSHD = '/usr/sbin/sshd';

describe('sshd drop-in', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let mainConfig: string;

  beforeAll(async () => {
    dir = await tempDir('sshd');
    // sshd refuses to even check a config without its privilege separation dir
    // (the openssh-server package creates it at boot).
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir.path, 'host_ed25519_key')]);
    const dropIn = await runOk(BIN('stop-motion-render'), [
      'sshd',
      '--listen',
      '10.0.0.11',
      '--listen',
      '10.8.0.11',
      '--allow-user',
      'operator',
    ]);
    await mkdir(path.join(dir.path, 'sshd_config.d'));
    await writeFile(path.join(dir.path, 'sshd_config.d', '00-stop-motion.conf'), dropIn.stdout);
    // A main config like the distribution's, with its Include first, and the
    // insecure values an image may ship with after it: the drop-in must win.
    mainConfig = path.join(dir.path, 'sshd_config');
    await writeFile(
      mainConfig,
      [
        `Include ${dir.path}/sshd_config.d/*.conf`,
        `HostKey ${dir.path}/host_ed25519_key`,
        `PidFile ${dir.path}/sshd.pid`,
        'PasswordAuthentication yes',
        'PermitRootLogin yes',
        'KbdInteractiveAuthentication yes',
        'UsePAM yes',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('sshd -t accepts the configuration', async () => {
    const result = await run(SSHD, ['-t', '-f', mainConfig]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('sshd -T shows key-only, no root, no keyboard-interactive, LAN/VPN addresses only', async () => {
    const result = await runOk(SSHD, ['-T', '-f', mainConfig, '-C', 'user=operator,host=laptop,addr=10.8.0.50']);
    const lines = new Set(result.stdout.split('\n'));
    for (const expected of [
      'passwordauthentication no',
      'permitrootlogin no',
      'kbdinteractiveauthentication no',
      'pubkeyauthentication yes',
      'authenticationmethods publickey',
      'permitemptypasswords no',
      'x11forwarding no',
      'listenaddress 10.0.0.11:22',
      'listenaddress 10.8.0.11:22',
      'allowusers operator',
      'allowtcpforwarding local',
      'allowstreamlocalforwarding no',
      'permitlisten none',
      'permitopen 127.0.0.1:8750 localhost:8750 127.0.0.1:8760 localhost:8760 127.0.0.1:8770 localhost:8770 127.0.0.1:9222 localhost:9222',
      'gatewayports no',
      'permittunnel no',
      'allowagentforwarding no',
    ]) {
      expect(lines.has(expected), expected).toBe(true);
    }
    expect([...lines].filter((l) => l.startsWith('listenaddress '))).toHaveLength(2);
  });

  it('the check fails on a broken drop-in (it can fail)', async () => {
    await writeFile(path.join(dir.path, 'sshd_config.d', '01-broken.conf'), 'PasswordAuthentication maybe\n');
    try {
      const result = await run(SSHD, ['-t', '-f', mainConfig]);
      expect(result.code).not.toBe(0);
    } finally {
      await writeFile(path.join(dir.path, 'sshd_config.d', '01-broken.conf'), '');
    }
  });

  it('refuses to render without a listen address or an allowed user, and refuses root or odd names', async () => {
    const result = await run(BIN('stop-motion-render'), ['sshd', '--allow-user', 'ops']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--listen/);
    for (const [args, message] of [
      [[], /--allow-user/],
      [['--allow-user', 'root'], /root/],
      [['--allow-user', 'ops bad'], /not a user name/],
      [['--allow-user', 'ops', '--forward-ports', '8750,99999'], /not a port/],
    ] as const) {
      const r = await run(BIN('stop-motion-render'), ['sshd', '--listen', '10.0.0.11', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

interface NftChain {
  chain?: { table: string; name: string; hook?: string; policy?: string };
  rule?: { chain: string; expr: unknown[] };
  set?: { name: string; elem?: unknown[] };
}

/**
 * Loads a ruleset into a throwaway network namespace (`unshare -rn`, no root and no
 * effect on this host) and returns `nft -j list ruleset` parsed.
 */
async function loadInNamespace(file: string): Promise<NftChain[]> {
  const result = await runOk('unshare', ['-rn', 'sh', '-c', 'nft -f "$1" && nft -j list ruleset', 'sh', file]);
  return (JSON.parse(result.stdout) as { nftables: NftChain[] }).nftables;
}

describe('nftables ruleset', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('nft');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  async function render(name: string, args: string[]): Promise<string> {
    const text = (await runOk(BIN('stop-motion-render'), ['nftables', ...args])).stdout;
    const file = path.join(dir.path, `${name}.nft`);
    await writeFile(file, text);
    return file;
  }

  const cases = [
    { role: 'station', args: ['--role', 'station', '--ssh-from', '10.0.0.0/24,10.8.0.0/24'], ports: [22] },
    {
      role: 'processor',
      args: ['--role', 'processor', '--ssh-from', '10.0.0.0/24, 10.8.0.0/24', '--rsync-from', '10.0.0.0/24', '--report-port', '8761'],
      ports: [22, 873, 8761],
    },
  ];

  for (const c of cases) {
    it(`${c.role}: nft -c accepts it; loaded, inbound policy is drop and only ${c.ports.join('+')} open`, async () => {
      const file = await render(c.role, c.args);
      // nft -c needs a netlink socket to resolve things; a private namespace has one.
      const check = await run('unshare', ['-rn', 'nft', '-c', '-f', file]);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);

      const ruleset = await loadInNamespace(file);
      const chains = ruleset.flatMap((o) => (o.chain ? [o.chain] : []));
      expect(chains.find((ch) => ch.hook === 'input')?.policy).toBe('drop');
      expect(chains.find((ch) => ch.hook === 'forward')?.policy).toBe('drop');
      const inputRules = ruleset.flatMap((o) => (o.rule && o.rule.chain === 'input' ? [JSON.stringify(o.rule.expr)] : []));
      const acceptedPorts = inputRules
        .filter((r) => r.includes('"accept"') && r.includes('"dport"'))
        .map((r) => Number(/"dport"}},"right":(\d+)/.exec(r)?.[1]));
      expect(acceptedPorts.sort((a, b) => a - b)).toEqual(c.ports);
      // Every accepted port is tied to a source-address set.
      for (const rule of inputRules.filter((r) => r.includes('"dport"'))) expect(rule).toMatch(/"saddr"/);
      const sshSet = ruleset.find((o) => o.set?.name === 'ssh_from_v4')?.set;
      expect(JSON.stringify(sshSet?.elem)).toContain('"addr":"10.8.0.0","len":24');
    });
  }

  it('nft -c rejects a broken ruleset (the check can fail)', async () => {
    const file = path.join(dir.path, 'broken.nft');
    await writeFile(file, 'table inet t { chain input { type filter hook input priority filter; policy maybe; } }\n');
    const check = await run('unshare', ['-rn', 'nft', '-c', '-f', file]);
    expect(check.code).not.toBe(0);
  });

  it('rejects malformed ranges, rsync on a station and a report port without the stations', async () => {
    const bad = await run(BIN('stop-motion-render'), ['nftables', '--role', 'station', '--ssh-from', '10.0.0.0/24; flush']);
    expect(bad.code).toBe(2);
    const rsyncOnStation = await run(BIN('stop-motion-render'), [
      'nftables',
      '--role',
      'station',
      '--ssh-from',
      '10.0.0.0/24',
      '--rsync-from',
      '10.0.0.0/24',
    ]);
    expect(rsyncOnStation.code).toBe(2);
    const reportOpenToAll = await run(BIN('stop-motion-render'), [
      'nftables',
      '--role',
      'processor',
      '--ssh-from',
      '10.0.0.0/24',
      '--report-port',
      '8761',
    ]);
    expect(reportOpenToAll.code).toBe(2);
  });
});

/**
 * The ruleset at work: a device namespace with the ruleset loaded and listeners on
 * some ports, a peer namespace joined by a veth pair with an address inside the LAN
 * (10.0.0.5) and one outside it (192.168.1.5). Each probe connects from one of the
 * peer's addresses and reports open, refused, or dropped (no answer).
 */
const FIREWALL_RUN = `
set -eu
ruleset=$1; ports=$2; shift 2
nft -f "$ruleset"
ip link set lo up
ip link add dev0 type veth peer name peer0
unshare -n sleep 60 &
peer=$!
sleep 0.3
ip link set peer0 netns "$peer"
ip addr add 10.0.0.2/24 dev dev0
ip link set dev0 up
ip route add 192.168.1.0/24 dev dev0
nsenter -t "$peer" -n sh -c 'ip link set lo up; ip addr add 10.0.0.5/24 dev peer0; ip addr add 192.168.1.5/24 dev peer0; ip link set peer0 up'
node -e 'const net = require("net"); for (const p of process.argv[1].split(",")) net.createServer((s) => s.end()).listen(Number(p), "0.0.0.0")' "$ports" &
listener=$!
sleep 0.5
nsenter -t "$peer" -n node -e '
const net = require("net");
const probe = (from, port) => new Promise((resolve) => {
  const s = net.connect({ host: "10.0.0.2", port, localAddress: from });
  const timer = setTimeout(() => { s.destroy(); resolve("dropped"); }, 1500);
  s.on("connect", () => { clearTimeout(timer); s.destroy(); resolve("open"); });
  s.on("error", (e) => { clearTimeout(timer); resolve(e.code === "ECONNREFUSED" ? "refused" : e.code); });
});
Promise.all(process.argv.slice(1).map(async (a) => [a, await probe(a.split(":")[0], Number(a.split(":")[1]))]))
  .then((r) => console.log(JSON.stringify(Object.fromEntries(r))));
' "$@"
kill "$listener" "$peer"
`;

describe('nftables ruleset at work', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('nft-traffic');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  async function probe(ruleset: string, probes: string[]): Promise<Record<string, string>> {
    const file = path.join(dir.path, 'ruleset.nft');
    await writeFile(file, ruleset);
    const result = await runOk('unshare', ['-rn', 'bash', '-c', FIREWALL_RUN, 'bash', file, '22,873,8750,8761', ...probes], {
      timeoutMs: 30_000,
    });
    return JSON.parse(result.stdout.trim()) as Record<string, string>;
  }

  const probes = ['10.0.0.5:22', '10.0.0.5:873', '10.0.0.5:8750', '192.168.1.5:22', '192.168.1.5:873'];
  const reportProbes = ['10.0.0.5:8761', '192.168.1.5:8761'];

  it('without the ruleset every listener answers (the probe can tell)', async () => {
    const seen = await probe('flush ruleset\n', [...probes, ...reportProbes]);
    expect(Object.values(seen)).toEqual(['open', 'open', 'open', 'open', 'open', 'open', 'open']);
  });

  it("processor: the stations' status reports from the stations' range only", async () => {
    const args = ['nftables', '--role', 'processor', '--ssh-from', '10.0.0.0/24', '--rsync-from', '10.0.0.0/24'];
    const ruleset = (await runOk(BIN('stop-motion-render'), [...args, '--report-port', '8761'])).stdout;
    expect(await probe(ruleset, reportProbes)).toEqual({ '10.0.0.5:8761': 'open', '192.168.1.5:8761': 'dropped' });
    // Without --report-port the port stays shut.
    const closed = (await runOk(BIN('stop-motion-render'), args)).stdout;
    expect(await probe(closed, reportProbes)).toEqual({ '10.0.0.5:8761': 'dropped', '192.168.1.5:8761': 'dropped' });
  });

  it('processor: SSH and rsync from the LAN only, nothing else from anywhere', async () => {
    const ruleset = (
      await runOk(BIN('stop-motion-render'), [
        'nftables',
        '--role',
        'processor',
        '--ssh-from',
        '10.0.0.0/24',
        '--rsync-from',
        '10.0.0.0/24',
      ])
    ).stdout;
    expect(await probe(ruleset, probes)).toEqual({
      '10.0.0.5:22': 'open',
      '10.0.0.5:873': 'open',
      '10.0.0.5:8750': 'dropped',
      '192.168.1.5:22': 'dropped',
      '192.168.1.5:873': 'dropped',
    });
  });

  it('station: SSH from the LAN only; no rsync, no station-server from outside', async () => {
    const ruleset = (await runOk(BIN('stop-motion-render'), ['nftables', '--role', 'station', '--ssh-from', '10.0.0.0/24'])).stdout;
    expect(await probe(ruleset, probes)).toEqual({
      '10.0.0.5:22': 'open',
      '10.0.0.5:873': 'dropped',
      '10.0.0.5:8750': 'dropped',
      '192.168.1.5:22': 'dropped',
      '192.168.1.5:873': 'dropped',
    });
  });
});

// A real sshd with the drop-in on a free loopback port: what a scanner or an
// operator meets. (sshd needs root for privilege separation, as in production.)
describe('sshd with the drop-in, for real', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let sshd: ManagedProcess;
  let port: number;
  let key: string;
  // Loopback services behind the SSH server: one port forwarding may reach, one it
  // may not, and a Unix socket (as the Wayland, D-Bus or Docker socket would be).
  let allowedPort: number;
  let otherPort: number;
  let socketPath: string;
  const servers: Server[] = [];
  const reached: string[] = [];
  const serve = (name: string, at: number | string) =>
    new Promise<void>((resolve, reject) => {
      const server = createServer((c) => {
        reached.push(name);
        c.end(`${name}\n`);
      });
      servers.push(server);
      server.once('error', reject);
      if (typeof at === 'number') server.listen(at, '127.0.0.1', () => resolve());
      else server.listen(at, () => resolve());
    });

  beforeAll(async () => {
    dir = await tempDir('sshd-live');
    allowedPort = await freePort();
    otherPort = await freePort();
    socketPath = path.join(dir.path, 'private.sock');
    await serve('allowed', allowedPort);
    await serve('other', otherPort);
    await serve('socket', socketPath);
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir.path, 'host_key')]);
    key = path.join(dir.path, 'operator');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'operator', '-f', key]);
    // One authorized key for every account, so that only the policy decides; sshd
    // reads it as the user logging in.
    await chmod(dir.path, 0o755);
    await writeFile(path.join(dir.path, 'authorized_keys'), await readFile(`${key}.pub`, 'utf8'), { mode: 0o644 });
    port = await freePort();
    const dropIn = await runOk(BIN('stop-motion-render'), [
      'sshd',
      '--listen',
      `127.0.0.1:${port}`,
      '--allow-user',
      'nobody',
      '--forward-ports',
      String(allowedPort),
    ]);
    await writeFile(path.join(dir.path, '00-stop-motion.conf'), dropIn.stdout);
    const config = path.join(dir.path, 'sshd_config');
    await writeFile(
      config,
      [
        `Include ${dir.path}/00-stop-motion.conf`,
        `HostKey ${dir.path}/host_key`,
        `PidFile ${dir.path}/sshd.pid`,
        `AuthorizedKeysFile ${dir.path}/authorized_keys`,
        // The temp dir is under the world-writable /tmp.
        'StrictModes no',
        'PasswordAuthentication yes',
        'PermitRootLogin yes',
        '',
      ].join('\n'),
    );
    const p = spawnManaged({ name: 'sshd', command: '/usr/sbin/sshd', args: ['-D', '-e', '-f', config] });
    sshd = p;
    await waitFor('sshd', () => canConnect(port), { failIf: () => (p.running() ? undefined : p.output()) });
  });
  afterAll(async () => {
    await sshd?.stop();
    for (const s of servers) s.close();
    await dir?.remove();
  });

  const sshArgs = (user: string, extra: string[], command: string[]) => [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${path.join(dir.path, 'known_hosts')}`,
    '-o',
    'IdentitiesOnly=yes',
    '-p',
    String(port),
    ...extra,
    `${user}@127.0.0.1`,
    ...command,
  ];
  const ssh = (user: string, extra: string[], command = ['true']) => run('ssh', sshArgs(user, extra, command), { timeoutMs: 20_000 });

  it('offers publickey only: no password or keyboard-interactive prompt at all', async () => {
    const result = await ssh('nobody', ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('refuses root even with an authorized key, and lets another user in with it', async () => {
    const root = await ssh('root', ['-i', key]);
    expect(root.code).toBe(255);
    expect(root.stderr).toMatch(/Permission denied \(publickey\)/);
    // nobody has no shell: authenticated, then turned away by nologin (exit 1, not 255).
    const user = await ssh('nobody', ['-i', key]);
    expect(user.stdout + user.stderr).toMatch(/This account is currently not available/);
    expect(user.code).toBe(1);
    expect(sshd.output()).toMatch(/Accepted publickey for nobody/);
  });

  it('refuses an account that is not in AllowUsers, even with an authorized key', async () => {
    const result = await ssh('daemon', ['-i', key]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
    await waitFor('the refusal in the log', () => /User daemon .*not listed in AllowUsers/.test(sshd.output()));
  });

  it('forwards to the permitted loopback ports only: not another port, another host or a Unix socket', async () => {
    const allowed = await ssh('nobody', ['-i', key, '-W', `127.0.0.1:${allowedPort}`], []);
    expect(allowed.stdout).toBe('allowed\n');
    for (const target of [`127.0.0.1:${otherPort}`, `localhost:${otherPort}`, '10.0.0.12:22', `[::1]:${allowedPort}`]) {
      const r = await ssh('nobody', ['-i', key, '-W', target], []);
      expect(r.code, target).toBe(255);
      expect(r.stderr, target).toMatch(/administratively prohibited/);
    }
    // A local forward to the server's Unix socket: the channel is refused when used.
    const localPort = await freePort();
    const tunnel = spawnManaged({
      name: 'ssh -L',
      command: 'ssh',
      args: sshArgs('nobody', ['-i', key, '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${localPort}:${socketPath}`], []),
    });
    try {
      await waitFor('the local end of the tunnel', () => canConnect(localPort), {
        failIf: () => (tunnel.running() ? undefined : tunnel.output()),
      });
      const got = await new Promise<string>((resolve) => {
        let data = '';
        const c = connect(localPort, '127.0.0.1');
        c.on('data', (d: Buffer) => {
          data += d.toString();
        });
        c.on('close', () => resolve(data));
        c.on('error', () => resolve(data));
      });
      expect(got).toBe('');
      await waitFor('the client told', () => /open failed/.test(tunnel.output()));
      await waitFor('the refusal in the log', () => /refused streamlocal port forward/.test(sshd.output()));
    } finally {
      await tunnel.stop();
    }
    // Nor anything opened the other way round.
    const remote = await ssh('nobody', ['-i', key, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${allowedPort}`], []);
    expect(remote.code).toBe(255);
    expect(remote.stderr).toMatch(/remote port forwarding failed/);
    expect(reached.filter((r) => r !== 'allowed')).toEqual([]);
  });
});
