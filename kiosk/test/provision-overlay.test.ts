import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIOSK_DIR, run, runOk } from './helpers.js';

/**
 * Runs the provisioning script for real, twice, in a private mount namespace where
 * /etc, /home, /opt, /root, /usr/local and /var are overlays whose writes land in a
 * temp dir: the script changes a real Debian system (users, files, unit symlinks,
 * the system's own sshd_config with the drop-in) and the host sees none of it.
 * Packages and the app build are skipped (they need the network and minutes).
 */
const OVERLAY_RUN = `
set -eu
T=$1; shift
for d in etc home opt root usr/local var; do
  mkdir -p "$T/o/$d/up" "$T/o/$d/work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/o/$d/up,workdir=$T/o/$d/work" "/$d"
done
useradd --create-home ops
echo "=== first run"
"$@"
echo "=== second run"
"$@"
echo "=== inspect"
stat -c '%n %a %U:%G' /etc/stop-motion /etc/stop-motion/* /etc/stop-motion/rsyncd.d/* /etc/stop-motion/stations/* /var/lib/stop-motion/inbox/* /home/ops/.ssh /home/ops/.ssh/authorized_keys 2>/dev/null || true
# The processor's user must read a station's secret to check its signed reports.
if [ -d /etc/stop-motion/stations ]; then su -s /bin/sh stopmotion -c 'cat /etc/stop-motion/stations/*.secret >/dev/null' && echo 'stopmotion reads the station secrets'; fi
ls -A /var/lib/stop-motion | sed 's/^/lib: /'
stat -c '%n %a %U:%G' /var/lib/stop-motion/tracks /var/lib/stop-motion/tracks/* 2>/dev/null || true
echo "=== env"
cat /etc/stop-motion/*.env
echo "=== keys"
grep -H -E '^(EVENT_NAME|REPORT_HOST|REPORT_PORT|PROCESSOR_REPORT_URL)=' /etc/stop-motion/*.env || true
echo "=== nft"
cat /etc/nftables.conf
echo "=== enabled"
for u in station-server processor gallery rsync nftables ssh; do printf '%s %s\\n' "$u" "$(systemctl is-enabled "$u.service" 2>/dev/null || true)"; done
echo "=== sshd"
sshd -T -C user=ops,host=laptop,addr=10.8.0.50 | grep -E '^(passwordauthentication|permitrootlogin|kbdinteractiveauthentication|listenaddress) '
`;

/** A good tracks folder, then the same source with a broken tracks.json: the second run must stop and keep the first tracks. */
const OVERLAY_BAD_TRACKS = `
set -eu
T=$1; shift
SRC=$1; shift
for d in etc home opt root usr/local var; do
  mkdir -p "$T/o/$d/up" "$T/o/$d/work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/o/$d/up,workdir=$T/o/$d/work" "/$d"
done
useradd --create-home ops
"$@" >/dev/null
printf '{"version":1,"tracks":[{"id":"x","mood":"grumpy"}]}' >"$SRC/tracks.json"
echo "=== bad run"
code=0
"$@" 2>&1 || code=$?
echo "=== after"
echo "exit $code"
cat /var/lib/stop-motion/tracks/tracks.json
ls -A /var/lib/stop-motion | sed 's/^/lib: /'
grep '^TRACKS_DIR=' /etc/stop-motion/*.env || true
`;

interface Runs {
  first: string;
  second: string;
  inspect: string;
  env: string;
  /** file:KEY=value of the settings that tie the machines together. */
  keys: string;
  nft: string;
  enabled: string;
  sshd: string;
}

function split(out: string): Runs {
  const part = (name: string) => {
    const start = out.indexOf(`=== ${name}\n`);
    if (start < 0) return '';
    const rest = out.slice(start + name.length + 5);
    const end = rest.indexOf('\n=== ');
    return end < 0 ? rest : rest.slice(0, end + 1);
  };
  return {
    first: part('first run'),
    second: part('second run'),
    inspect: part('inspect'),
    env: part('env'),
    keys: part('keys'),
    nft: part('nft'),
    enabled: part('enabled'),
    sshd: part('sshd'),
  };
}

/** Action lines ("  + …") of a run: what it changed. */
const actions = (text: string) => text.split('\n').filter((l) => l.startsWith('  + '));

describe('provisioning for real in an overlay', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const secret = 'rsync-secret-for-the-overlay-test-0001';
  const s3Secret = 's3-secret-for-the-overlay-test-0002';
  let pubKey: string;
  let tracks: string;

  beforeAll(async () => {
    dir = await tempDir('provision-overlay');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ops@laptop', '-f', path.join(dir.path, 'ops')]);
    pubKey = path.join(dir.path, 'ops.pub');
    await writeFile(path.join(dir.path, 's11.secret'), `${secret}\n`, { mode: 0o600 });
    await writeFile(path.join(dir.path, 's3.secret'), `${s3Secret}\n`, { mode: 0o600 });
    tracks = await makeTracks('tracks');
  });

  /** An operator's tracks folder with one real (short, synthesised) Ogg/Opus track. */
  async function makeTracks(name: string): Promise<string> {
    const folder = path.join(dir.path, name);
    await mkdir(folder);
    await runOk('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=1',
      '-c:a',
      'libopus',
      path.join(folder, 'tune.opus'),
    ]);
    await writeFile(
      path.join(folder, 'tracks.json'),
      JSON.stringify({
        version: 1,
        tracks: [{ id: 'tune', mood: 'calm', title: 'Tune', author: 'Ops', licence: 'CC0-1.0', file: 'tune.opus' }],
      }),
    );
    return folder;
  }
  afterAll(async () => {
    await dir?.remove();
  });

  async function provisionTwice(script: string, args: string[]): Promise<Runs> {
    const result = await run(
      'unshare',
      // Each script gets its own overlays: a fresh system.
      [
        '-m',
        '--propagation',
        'private',
        'bash',
        '-c',
        OVERLAY_RUN,
        'bash',
        path.join(dir.path, script),
        path.join(KIOSK_DIR, script),
        ...args,
      ],
      { timeoutMs: 60_000 },
    );
    if (result.code !== 0) throw new Error(`${script} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    return split(result.stdout);
  }

  it('provision-station: sets the station up, and a second run changes nothing', async () => {
    const r = await provisionTwice('provision-station', [
      '--skip-packages',
      '--skip-app',
      '--station-id',
      's11',
      '--processor',
      '10.0.0.2',
      '--rsync-secret-file',
      path.join(dir.path, 's11.secret'),
      '--listen',
      '10.0.0.11',
      '--admin-user',
      'ops',
      '--ssh-key',
      pubKey,
      '--tracks',
      tracks,
      '--event-name',
      'Festival 2026',
    ]);
    expect(actions(r.first).length).toBeGreaterThan(20);
    // The event's tracks, checked and synced where the station reads them, readable by its user.
    expect(r.first).toMatch(/1 tracks: tune \(calm\)/);
    expect(r.inspect).toContain('/var/lib/stop-motion/tracks 755 root:root');
    expect(r.inspect).toContain('/var/lib/stop-motion/tracks/tracks.json 644 root:root');
    expect(r.inspect).toContain('/var/lib/stop-motion/tracks/tune.opus 644 root:root');
    expect(r.inspect).not.toContain('lib: .tracks.incoming');
    expect(r.env).toMatch(/^TRACKS_DIR=\/var\/lib\/stop-motion\/tracks$/m);
    // Only the checks run again; nothing is written, created or enabled twice.
    expect(actions(r.second)).toEqual(['  + sshd -t', '  + nft -c -f /etc/nftables.conf']);
    expect(r.inspect).toContain('/etc/stop-motion 750 root:stopmotion');
    expect(r.inspect).toContain('/etc/stop-motion/rsync.secret 640 root:stopmotion');
    expect(r.inspect).toContain('/etc/stop-motion/station-server.env 640 root:stopmotion');
    expect(r.inspect).toContain('/home/ops/.ssh 700 ops:ops');
    expect(r.inspect).toContain('/home/ops/.ssh/authorized_keys 600 ops:ops');
    expect(r.env).toMatch(/^DELIVERY_TARGET=rsync:\/\/station-s11@10\.0\.0\.2\/station-s11\/$/m);
    expect(r.env).toMatch(/^RSYNC_PASSWORD_FILE=\/etc\/stop-motion\/rsync\.secret$/m);
    // The heartbeat goes where the processor listens for it (its REPORT_PORT), signed with the same secret.
    expect(r.keys.split('\n').sort().filter(Boolean)).toEqual([
      '/etc/stop-motion/station-server.env:EVENT_NAME=Festival 2026',
      '/etc/stop-motion/station-server.env:PROCESSOR_REPORT_URL=http://10.0.0.2:8761/api/report',
    ]);
    expect(r.env).toMatch(/^STATION_HOST=127\.0\.0\.1$/m);
    expect(r.enabled).toMatch(/^station-server enabled$/m);
    expect(r.enabled).toMatch(/^nftables enabled$/m);
    // The system's own sshd_config with the drop-in: the drop-in wins.
    expect(r.sshd.split('\n').sort().filter(Boolean)).toEqual([
      'kbdinteractiveauthentication no',
      'listenaddress 10.0.0.11:22',
      'passwordauthentication no',
      'permitrootlogin no',
    ]);
    expect(r.first + r.second).not.toContain(secret);
    // The host itself is untouched.
    await expect(access('/etc/stop-motion/station-server.env')).rejects.toThrow();
  });

  it('provision-processor: sets the processing unit up, and a second run changes nothing', async () => {
    const r = await provisionTwice('provision-processor', [
      '--skip-packages',
      '--skip-app',
      '--listen',
      '10.0.0.2',
      '--station',
      's11',
      '--with-gallery',
      '--event-name',
      'Festival 2026',
      '--s3-bucket',
      'films',
      '--s3-key-id',
      'AKIAEXAMPLE',
      '--s3-secret-file',
      path.join(dir.path, 's3.secret'),
      '--admin-user',
      'ops',
      '--ssh-key',
      pubKey,
      '--tracks',
      tracks,
    ]);
    expect(actions(r.second)).toEqual(['  + sshd -t', '  + nft -c -f /etc/nftables.conf']);
    expect(r.inspect).toContain('/var/lib/stop-motion/tracks/tune.opus 644 root:root');
    expect(r.env).toMatch(/^TRACKS_DIR=\/var\/lib\/stop-motion\/tracks$/m);
    expect(r.inspect).toContain('/etc/stop-motion/rsyncd.secrets 600 root:root');
    expect(r.inspect).toContain('/etc/stop-motion/processor.env 640 root:stopmotion');
    expect(r.inspect).toContain('/etc/stop-motion/gallery.env 600 root:root');
    expect(r.inspect).toContain('/etc/stop-motion/stations 750 root:stopmotion');
    expect(r.inspect).toContain('/etc/stop-motion/stations/s11.secret 640 root:stopmotion');
    expect(r.inspect).toContain('stopmotion reads the station secrets');
    // The processor listens for the stations' reports, the gallery's wall carries the event's name.
    expect(r.keys.split('\n').sort().filter(Boolean)).toEqual([
      '/etc/stop-motion/gallery.env:EVENT_NAME=Festival 2026',
      '/etc/stop-motion/processor.env:EVENT_NAME=Festival 2026',
      '/etc/stop-motion/processor.env:REPORT_HOST=0.0.0.0',
      '/etc/stop-motion/processor.env:REPORT_PORT=8761',
    ]);
    // ...and the firewall lets the stations' range (only) reach that port.
    expect(r.nft).toMatch(/^\s*ip saddr @rsync_from_v4 tcp dport 8761 accept$/m);
    expect(r.nft).toMatch(/set rsync_from_v4 \{[^}]*elements = \{ 10\.0\.0\.0\/24 \}/);
    // Station s11's own module and area of the inbox.
    expect(r.inspect).toContain('/etc/stop-motion/rsyncd.d/s11.conf 644 root:root');
    expect(r.inspect).toContain('/var/lib/stop-motion/inbox/s11 750 stopmotion:stopmotion');
    // Tokens generated once and kept: the same value after the second run.
    const token = /^STATUS_TOKEN=(\S{40,})$/m.exec(r.env)?.[1];
    expect(token).toBeDefined();
    expect(r.first + r.second).not.toContain(token);
    expect(r.env).toMatch(/^GALLERY_ADMIN_TOKEN=\S{40,}$/m);
    expect(r.env).toMatch(/^EVENT_NAME=Festival 2026$/m);
    expect(r.env).toContain(`AWS_SECRET_ACCESS_KEY=${s3Secret}`);
    expect(r.first + r.second).not.toContain(s3Secret);
    for (const unit of ['processor', 'gallery', 'rsync', 'nftables']) expect(r.enabled).toMatch(new RegExp(`^${unit} enabled$`, 'm'));
    expect(r.sshd).toMatch(/^passwordauthentication no$/m);
  });

  it('a broken tracks.json stops provisioning with its reason and keeps the tracks the station had', async () => {
    const source = await makeTracks('tracks-then-broken');
    const args = [
      '--skip-packages',
      '--skip-app',
      '--station-id',
      's12',
      '--listen',
      '10.0.0.12',
      '--admin-user',
      'ops',
      '--ssh-key',
      pubKey,
    ];
    const result = await run(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'bash',
        '-c',
        OVERLAY_BAD_TRACKS,
        'bash',
        path.join(dir.path, 'bad-tracks'),
        source,
        path.join(KIOSK_DIR, 'provision-station'),
        ...args,
        '--tracks',
        source,
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    const bad = result.stdout.slice(result.stdout.indexOf('=== bad run'), result.stdout.indexOf('=== after'));
    const after = result.stdout.slice(result.stdout.indexOf('=== after'));
    expect(bad).toMatch(/tracks\.json: tracks\.0\.mood/);
    expect(bad).toMatch(/error: the tracks at .* are not usable \(see above\); \/var\/lib\/stop-motion\/tracks is unchanged/);
    expect(after).toMatch(/^exit 1$/m);
    expect(after).toContain('"id":"tune"');
    // The env file from the good run still points at the tracks.
    expect(after).toMatch(/TRACKS_DIR=\/var\/lib\/stop-motion\/tracks$/m);
  });
});
