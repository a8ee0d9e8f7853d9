import { describe, expect, it } from 'vitest';
import { redactTarget, retryDelayMs } from '../src/delivery/delivery.js';
import { packageDestination, rsyncDoneArgs, rsyncFilesArgs, targetKind } from '../src/delivery/rsync-args.js';
import { diskDecision } from '../src/disk.js';
import { shouldRestartUi } from '../src/watchdog.js';

describe('rsync arguments', () => {
  it.each([
    ['/srv/inbox', 'local'],
    ['./inbox', 'local'],
    ['inbox', 'local'],
    ['rsync://station@10.0.0.2/inbox/', 'rsync'],
    ['RSYNC://h:873/m', 'rsync'],
    ['station@processor:/srv/inbox', 'ssh'],
    ['processor:inbox', 'ssh'],
  ] as const)('%s is %s', (target, kind) => {
    expect(targetKind(target)).toBe(kind);
  });

  it.each([
    ['/srv/inbox', '/srv/inbox/01ABC/'],
    ['/srv/inbox/', '/srv/inbox/01ABC/'],
    ['rsync://s@h:873/inbox/', 'rsync://s@h:873/inbox/01ABC/'],
    ['u@h:', 'u@h:01ABC/'],
  ])('%s → %s', (target, dest) => {
    expect(packageDestination(target, '01ABC')).toBe(dest);
  });

  const base = { movieId: '01ABC', source: '/data/outbox/01ABC', timeoutSeconds: 60 };
  it.each([
    [
      'local',
      { ...base, target: '/srv/inbox' },
      ['-a', '--fsync', '--timeout=60', '--partial', '--delay-updates', '--exclude=DONE', '/data/outbox/01ABC/', '/srv/inbox/01ABC/'],
      ['-a', '--fsync', '--timeout=60', '/data/outbox/01ABC/DONE', '/srv/inbox/01ABC/DONE'],
    ],
    [
      'daemon with a password file',
      { ...base, target: 'rsync://s@h:873/inbox', passwordFile: '/etc/station/rsync.secret' },
      [
        '-a',
        '--fsync',
        '--timeout=60',
        '--contimeout=30',
        '--password-file=/etc/station/rsync.secret',
        '--partial',
        '--delay-updates',
        '--exclude=DONE',
        '/data/outbox/01ABC/',
        'rsync://s@h:873/inbox/01ABC/',
      ],
      [
        '-a',
        '--fsync',
        '--timeout=60',
        '--contimeout=30',
        '--password-file=/etc/station/rsync.secret',
        '/data/outbox/01ABC/DONE',
        'rsync://s@h:873/inbox/01ABC/DONE',
      ],
    ],
    [
      'ssh with a key',
      { ...base, target: 'station@proc:/srv/inbox', sshKey: '/home/pi/.ssh/id_ed25519' },
      [
        '-a',
        '--fsync',
        '--timeout=60',
        '-e',
        'ssh -o BatchMode=yes -o ConnectTimeout=15 -o ServerAliveInterval=15 -i /home/pi/.ssh/id_ed25519',
        '--partial',
        '--delay-updates',
        '--exclude=DONE',
        '/data/outbox/01ABC/',
        'station@proc:/srv/inbox/01ABC/',
      ],
      [
        '-a',
        '--fsync',
        '--timeout=60',
        '-e',
        'ssh -o BatchMode=yes -o ConnectTimeout=15 -o ServerAliveInterval=15 -i /home/pi/.ssh/id_ed25519',
        '/data/outbox/01ABC/DONE',
        'station@proc:/srv/inbox/01ABC/DONE',
      ],
    ],
  ])('%s', (_n, o, files, done) => {
    expect(rsyncFilesArgs(o)).toEqual(files);
    expect(rsyncDoneArgs(o)).toEqual(done);
  });

  it('redacts a password in a target URL', () => {
    expect(redactTarget('rsync://station:hunter2@h/inbox')).toBe('rsync://station:***@h/inbox');
    expect(redactTarget('rsync://station@h/inbox')).toBe('rsync://station@h/inbox');
  });
});

describe('backoff', () => {
  it('delivery retries double and are capped', () => {
    expect([0, 1, 2, 3, 4, 10, 60].map((n) => retryDelayMs(n, 1000, 10_000))).toEqual([0, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe('disk policy', () => {
  const p = { minFreeBytes: 100, cleanupFreeBytes: 500 };
  it.each([
    [1000, { full: false, cleanup: false }],
    [400, { full: false, cleanup: true }],
    [50, { full: true, cleanup: true }],
  ])('%i free', (free, d) => {
    expect(diskDecision(free, p)).toEqual(d);
  });
});

describe('UI watchdog decision', () => {
  it.each([
    ['heartbeat fresh', { lastBeatAt: 9_000, lastRestartAt: -Infinity }, 10_000, false],
    ['heartbeat missed', { lastBeatAt: 0, lastRestartAt: -Infinity }, 10_000, true],
    ['restarted recently', { lastBeatAt: 0, lastRestartAt: 8_000 }, 10_000, false],
    ['restart long ago', { lastBeatAt: 0, lastRestartAt: -60_000 }, 10_000, true],
  ])('%s', (_n, s, now, expected) => {
    expect(shouldRestartUi(s, now, 5_000, 30_000)).toBe(expected);
  });
  it('off when the timeout is 0', () => {
    expect(shouldRestartUi({ lastBeatAt: 0, lastRestartAt: -Infinity }, 1e9, 0, 0)).toBe(false);
  });
});
