import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_DIR, run, runOk } from './helpers.js';

/** Every shell script of the kiosk folder: scripts in bin/, the provisioning scripts, the library. */
async function shellScripts(): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['bin', 'lib', 'remote']) {
    const dir = path.join(KIOSK_DIR, sub);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      const head = await readFile(file, 'utf8');
      if (head.startsWith('#!/usr/bin/env bash') || head.startsWith('# shellcheck shell=bash')) out.push(file);
    }
  }
  return [...out, path.join(KIOSK_DIR, 'provision-station'), path.join(KIOSK_DIR, 'provision-processor')];
}

/**
 * Runs a command with the whole file system read-only (a private mount namespace;
 * apt-cache gets a private scratch dir): a dry run that tried to change anything fails.
 */
function readOnly(args: string[]) {
  return run('unshare', [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -o remount,bind,ro / && mount -t tmpfs tmpfs /var/tmp && TMPDIR=/var/tmp exec "$@"',
    'sh',
    ...args,
  ]);
}

describe('shell scripts', () => {
  it('shellcheck passes on every script', async () => {
    const scripts = await shellScripts();
    expect(scripts.length).toBeGreaterThanOrEqual(8);
    const result = await run('shellcheck', ['-x', ...scripts], { cwd: KIOSK_DIR });
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('provisioning --dry-run', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const rsyncSecret = 'rsync-secret-that-must-never-be-printed-0001';
  const s3Secret = 's3-secret-that-must-never-be-printed-0002';
  let rsyncSecretFile: string;
  let s3SecretFile: string;

  beforeAll(async () => {
    dir = await tempDir('provision');
    rsyncSecretFile = path.join(dir.path, 's11.secret');
    s3SecretFile = path.join(dir.path, 's3.secret');
    await writeFile(rsyncSecretFile, `${rsyncSecret}\n`, { mode: 0o600 });
    await writeFile(s3SecretFile, `${s3Secret}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await dir?.remove();
  });

  /** Lines of the form "  + …" (actions), with the checks and notes in between. */
  function expectActions(output: string, expected: RegExp[]): void {
    for (const re of expected) expect(output, String(re)).toMatch(re);
  }

  it('provision-station prints every action and changes nothing', async () => {
    const result = await readOnly([
      path.join(KIOSK_DIR, 'provision-station'),
      '--dry-run',
      '--station-id',
      's11',
      '--processor',
      '10.0.0.2',
      '--rsync-secret-file',
      rsyncSecretFile,
      '--listen',
      '10.0.0.11',
      '--gallery-url',
      'https://films.example.org',
    ]);
    expect(result.stderr.replace(/^ {4}none of .*\n/gm, '')).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expectActions(out, [
      /^==> dry run: nothing is changed$/m,
      // packages: installed here already or installed now
      // What is wanted is listed whether or not this machine has it all already.
      /packages (already installed|wanted): chromium/,
      /packages (already installed|wanted): .*gpiod .*rsync .*ffmpeg/,
      /node v\d+.* is new enough|nodesource/,
      /(useradd --system .* stopmotion|user stopmotion exists)/,
      /(useradd --create-home .* kiosk|user kiosk exists)/,
      /npm --prefix \/opt\/stop-motion\/build ci/,
      /npm --prefix \/opt\/stop-motion\/build run build/,
      /npm --prefix \/opt\/stop-motion\/releases\/\S+ ci --omit=dev/,
      /mv -T \/opt\/stop-motion\/app\.new \/opt\/stop-motion\/app$/m,
      /write \/etc\/stop-motion\/rsync\.secret \(mode 0640, root:stopmotion\)/,
      /write \/etc\/stop-motion\/station-server\.env \(mode 0640/,
      /write \/etc\/stop-motion\/kiosk\.env/,
      /write \/etc\/systemd\/system\/station-server\.service/,
      /write \/etc\/systemd\/user\/kiosk\.service/,
      /(systemctl enable station-server\.service|station-server\.service already enabled)/,
      /write \/home\/kiosk\/\.config\/labwc\/autostart/,
      /write \/home\/kiosk\/\.config\/labwc\/environment/,
      /write \/home\/kiosk\/\.config\/autostart\/stop-motion-kiosk\.desktop/,
      /(write \/etc\/lightdm\/lightdm\.conf\.d\/50-stop-motion\.conf|no lightdm here)/,
      /(raspi-config nonint do_blanking 1|screen blanking is turned off)/,
      /stop-motion-invisible\/cursors\/default/,
      /write \/etc\/systemd\/journald\.conf\.d\/50-stop-motion\.conf/,
      /write \/etc\/ssh\/sshd_config\.d\/00-stop-motion\.conf/,
      /\+ sshd -t$/m,
      /write \/etc\/nftables\.conf/,
      /\+ nft -c -f \/etc\/nftables\.conf$/m,
      /(systemctl enable nftables\.service|nftables\.service already enabled)/,
    ]);
    expect(out).not.toContain(rsyncSecret);
    // The order matters: the app and its config exist before the units start.
    expect(out.indexOf('station-server.env')).toBeLessThan(out.indexOf('station-server.service'));
    expect(out.indexOf('sshd -t')).toBeLessThan(out.indexOf('nftables.conf'));
  });

  it('provision-station --session x11 sets up the X11 session instead', async () => {
    const result = await readOnly([
      path.join(KIOSK_DIR, 'provision-station'),
      '--dry-run',
      '--skip-packages',
      '--station-id',
      's12',
      '--listen',
      '10.0.0.12',
      '--session',
      'x11',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/kiosk session \(x11\)/);
    expect(result.stdout).toMatch(/packages\n {4}skipped/);
  });

  it('provision-processor prints every action and changes nothing', async () => {
    const result = await readOnly([
      path.join(KIOSK_DIR, 'provision-processor'),
      '--dry-run',
      '--listen',
      '10.0.0.2',
      '--station',
      's11',
      '--station',
      's12',
      '--with-gallery',
      '--event-name',
      'Festival 2026',
      '--s3-bucket',
      'films',
      '--s3-region',
      'eu-central-1',
      '--s3-key-id',
      'AKIAEXAMPLE',
      '--s3-secret-file',
      s3SecretFile,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expectActions(out, [
      /packages (already installed|wanted): .*ffmpeg .*mpv .*rsync/,
      /npm --prefix \/opt\/stop-motion\/releases\/\S+ ci --omit=dev/,
      /write \/etc\/stop-motion\/processor\.env \(mode 0640, root:stopmotion\)/,
      /generating STATUS_TOKEN/,
      /write \/etc\/stop-motion\/gallery\.env \(mode 0600, root:root\)/,
      /write \/etc\/rsyncd\.conf/,
      /stop-motion-station-secret add s11$/m,
      /stop-motion-station-secret add s12$/m,
      /(systemctl enable rsync\.service|rsync\.service already enabled)/,
      /write \/etc\/systemd\/system\/processor\.service/,
      /write \/etc\/systemd\/system\/gallery\.service/,
      /(systemctl enable processor\.service|processor\.service already enabled)/,
      /write \/etc\/systemd\/journald\.conf\.d\/50-stop-motion\.conf/,
      /write \/etc\/ssh\/sshd_config\.d\/00-stop-motion\.conf/,
      /rsync from 10\.0\.0\.0\/24 and the status reports \(TCP 8761\) from there/,
      /\+ nft -c -f \/etc\/nftables\.conf$/m,
    ]);
    expect(out).not.toContain(s3Secret);
  });

  it('refuses bad settings before doing anything', async () => {
    for (const [script, args, message] of [
      ['provision-station', ['--station-id', '../etc', '--listen', '10.0.0.1'], /--station-id/],
      ['provision-station', ['--listen', '10.0.0.1', '--ssh-from', '10.0.0.0/24;reboot'], /not an IPv4 address or CIDR/],
      ['provision-station', ['--listen', '10.0.0.1 ; rm'], /not an address/],
      ['provision-station', ['--listen', '10.0.0.1', '--journal-size', 'lots'], /--journal-size/],
      ['provision-processor', ['--listen', '10.0.0.2', '--stations', 'everyone'], /not an IPv4 address or CIDR/],
      // A newline in an operator's value would add a second setting to the env file.
      ['provision-processor', ['--listen', '10.0.0.2', '--event-name', 'Fest\nSTATUS_TOKEN=mine'], /EVENT_NAME: .*newline/],
      ['provision-processor', ['--listen', '10.0.0.2', '--s3-key-id', 'AKIA\rX'], /AWS_ACCESS_KEY_ID: .*control character/],
      ['provision-processor', ['--listen', '10.0.0.2', '--gallery-url', 'https://x\\'], /GALLERY_PUBLIC_URL: .*backslash/],
      ['provision-station', ['--listen', '10.0.0.1', '--gallery-url', 'https://x\n#'], /GALLERY_PUBLIC_URL: .*newline/],
    ] as const) {
      const bad = await run(path.join(KIOSK_DIR, script), ['--dry-run', ...args]);
      expect(bad.code, args.join(' ')).not.toBe(0);
      expect(bad.stdout, args.join(' ')).toBe('');
      expect(bad.stderr, args.join(' ')).toMatch(message);
    }
  });
});

// The library's file steps, for real, in a temp dir: the second run changes nothing
// and settings edited by hand survive a re-run.
describe('provisioning steps are idempotent', () => {
  it('put_file and render_env', async () => {
    const dir = await tempDir('provision-lib');
    try {
      const owner = `${(await runOk('id', ['-un'])).stdout.trim()}:${(await runOk('id', ['-gn'])).stdout.trim()}`;
      const env = path.join(dir.path, 'station-server.env');
      const script = `
        set -euo pipefail
        source "${KIOSK_DIR}/lib/provision.sh"
        template=$'# comment\\nSTATION_ID=\\nCAMERA=rpicam\\n#MAX_FRAMES=300\\nLOCALE=he'
        put_file "$1" 0640 "$2" "$(render_env "$1" "$template" STATION_ID=s11)"
        put_file "$1" 0640 "$2" "$(render_env "$1" "$template" STATION_ID=s11)"
        sed -i 's/^CAMERA=.*/CAMERA=v4l2/; s/^#MAX_FRAMES=.*/MAX_FRAMES=200/' "$1"
        put_file "$1" 0640 "$2" "$(render_env "$1" "$template" STATION_ID=s11 LOCALE=ar)"
      `;
      const result = await runOk('bash', ['-c', script, 'bash', env, owner]);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ {2}\+ write .*station-server\.env \(mode 0640/);
      expect(lines[1]).toMatch(/^ {4}unchanged .*station-server\.env$/);
      expect(lines[2]).toMatch(/^ {2}\+ write /);
      expect(await readFile(env, 'utf8')).toBe('# comment\nSTATION_ID=s11\nCAMERA=v4l2\nMAX_FRAMES=200\nLOCALE=ar\n');
    } finally {
      await dir.remove();
    }
  });
});
