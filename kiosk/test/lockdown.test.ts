import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
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
    const dropIn = await runOk(BIN('stop-motion-render'), ['sshd', '--listen', '10.0.0.11', '--listen', '10.8.0.11']);
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

  it('refuses to render without a listen address', async () => {
    const result = await run(BIN('stop-motion-render'), ['sshd']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--listen/);
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
      args: ['--role', 'processor', '--ssh-from', '10.0.0.0/24, 10.8.0.0/24', '--rsync-from', '10.0.0.0/24'],
      ports: [22, 873],
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

  it('rejects malformed ranges and rsync on a station', async () => {
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
  });
});
