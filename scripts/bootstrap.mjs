#!/usr/bin/env node
// Installs what the project needs and is missing, and nothing else. Idempotent, so the
// README's commands run it first every time. Node built-ins only: it runs before
// `npm ci` has put anything into node_modules.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every Debian package any part, test or the demo needs: the one list. */
export const DEBIAN_PACKAGES = [
  'ffmpeg', // render, thumbnails, test camera
  'mpv', // the big screen
  'rsync', // delivery from stations to the processor
  'redis-server', // gallery cache, film notices
  'chromium', // station kiosk, browser tests
  'fonts-dejavu-core', // title cards
  'fonts-noto-core', // Hebrew and Arabic on title cards and in the UI
  'gpiod', // gpiomon button backend
  'g++', // node-gyp builds onoff's epoll addon (optional BUTTONS=onoff backend)
  'make', // node-gyp
  'xvfb', // kiosk launcher test on a virtual display
  'imagemagick', // screenshots of the virtual display
  'shellcheck', // kiosk scripts
  'nftables', // kiosk firewall ruleset check
  'openssh-server', // kiosk sshd drop-in check (the service is not started)
  'systemd', // systemd-analyze verify of the units
  'openvpn', // kiosk VPN template check
  'openssh-client', // kiosk sshd check logs in with a key
  'matchbox-window-manager', // kiosk launcher test under X11
  'sway', // kiosk launcher test under Wayland (stands in for labwc)
  'grim', // screenshots of the Wayland display
  'openssl', // kiosk secrets
  'curl', // kiosk launcher health check
  'iproute2', // kiosk firewall test in a network namespace
  'util-linux', // unshare and setpriv for kiosk tests; losetup and mount for the power-cut disk
  'e2fsprogs', // mkfs.ext4 and e2fsck for the power-cut disk
  'cups', // claim tickets: the scheduler (the station's printer; tests start a private cupsd)
  'cups-client', // lp and lpstat, which the station prints and checks the printer with
  'cups-ipp-utils', // ipptool: how a ticket's job ended (completed, canceled, aborted)
  'printer-driver-cups-pdf', // the PDF queue the ticket tests print to
  'strace', // the station's rsync fsync test watches the receiving rsync's fsync calls
  'poppler-utils', // pdftoppm reads the printed ticket back in tests
  'zbar-tools', // zbarimg decodes the ticket's and the gallery wall's QR codes in tests
  'libharfbuzz-bin', // hb-view: the reference rendering the title card shaping test compares with
  'python3', // stands in for systemd's notify socket in the watchdog tests (Node has no unix datagrams)
  'fluidsynth', // renders the default soundtracks from MIDI
  'fluid-soundfont-gm', // FluidR3_GM, the MIT-licensed General MIDI soundfont they are rendered with
];

const log = (msg) => process.stderr.write(`bootstrap: ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    log(`Node.js ${process.versions.node} is too old; this project needs Node.js 20.19 or newer.`);
    process.exit(1);
  }
}

function missingDebianPackages() {
  if (!existsSync('/usr/bin/dpkg-query')) return [];
  return DEBIAN_PACKAGES.filter((pkg) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

function installDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    log(`these Debian packages are missing: ${missing.join(' ')}`);
    log('install them, then run the command again:');
    process.stderr.write(`\n  sudo sh -c '${line}'\n\n`);
    process.exit(1);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  // Packages like redis-server and openssh-server start their service on install;
  // a development machine must not start listening on their ports, so the install
  // runs with service starts refused (the policy-rc.d convention), then restores it.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-qq'], { env }) !== 0) log('apt-get update failed; trying the install with the lists at hand');
    const status = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
    if (status !== 0) {
      log(`apt-get install failed (exit ${status}); run it by hand to see why:\n  ${line}`);
      process.exit(1);
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

function lockHash() {
  return createHash('sha256')
    .update(readFileSync(path.join(root, 'package-lock.json')))
    .digest('hex');
}

function installNodeModules() {
  const stamp = path.join(root, 'node_modules', '.bootstrap-lock-hash');
  const want = lockHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm packages (npm ci)');
  const status = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (status !== 0) {
    log(`npm ci failed (exit ${status})`);
    process.exit(1);
  }
  writeFileSync(stamp, want);
}

/** The default soundtracks are rendered, not checked in: built here when missing or stale. */
function buildDefaultTracks() {
  const status = run(process.execPath, ['--conditions=source', '--import', 'tsx', 'station-server/src/music/build.ts'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (status !== 0) {
    log(`rendering the default soundtracks failed (exit ${status})`);
    process.exit(1);
  }
}

checkNode();
installDebianPackages();
installNodeModules();
buildDefaultTracks();
