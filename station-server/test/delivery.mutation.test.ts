// Delivery to the processing unit: which kind of target a string is, rsync's argv for
// each kind, the retry schedule and what operators see of a target.
import { describe, expect, it } from 'vitest';
import { redactTarget, retryDelayMs } from '../src/delivery/delivery.js';
import { packageDestination, rsyncDoneArgs, rsyncFilesArgs, targetKind } from '../src/delivery/rsync-args.js';

describe('targetKind', () => {
  it.each([
    ['rsync://h/m', 'rsync'],
    ['xrsync://h/m', 'local'],
    [' rsync://h/m', 'local'],
    ['h:/srv/inbox', 'ssh'],
    ['h:', 'ssh'],
    ['a/b:c', 'local'],
    ['/srv/a:b', 'local'],
    ['./a:b', 'local'],
    ['.h:b', 'local'],
    [':path', 'local'],
    ['h::module', 'ssh'],
    ['http://example.org/x', 'local'],
    ['C:', 'ssh'],
  ] as const)('%j is %s', (target, kind) => {
    expect(targetKind(target)).toBe(kind);
  });
});

describe('rsync argv', () => {
  const o = { movieId: 'M1', source: '/o/M1/', timeoutSeconds: 10 };
  it('a source with its slash already is not doubled; a destination ending in : gets none', () => {
    expect(packageDestination('h:', 'M1')).toBe('h:M1/');
    expect(packageDestination('h:/in', 'M1')).toBe('h:/in/M1/');
    expect(rsyncFilesArgs({ ...o, target: '/in/' })).toEqual([
      '-a',
      '--fsync',
      '--timeout=10',
      '--partial',
      '--delay-updates',
      '--exclude=DONE',
      '/o/M1/',
      '/in/M1/',
    ]);
    expect(rsyncDoneArgs({ ...o, target: '/in/' })).toEqual(['-a', '--fsync', '--timeout=10', '/o/M1/DONE', '/in/M1/DONE']);
  });
  it('daemon: the connect timeout is the smaller of the timeout and 30 s; no password file when none is set', () => {
    expect(rsyncDoneArgs({ ...o, target: 'rsync://h/in' })).toEqual([
      '-a',
      '--fsync',
      '--timeout=10',
      '--contimeout=10',
      '/o/M1/DONE',
      'rsync://h/in/M1/DONE',
    ]);
    expect(rsyncDoneArgs({ ...o, timeoutSeconds: 90, target: 'rsync://h/in' }).slice(0, 4)).toEqual([
      '-a',
      '--fsync',
      '--timeout=90',
      '--contimeout=30',
    ]);
  });
  it('ssh: batch mode and timeouts, a key only when set; a password file is for daemons only', () => {
    expect(rsyncDoneArgs({ ...o, target: 'h:/in', passwordFile: '/p' })).toEqual([
      '-a',
      '--fsync',
      '--timeout=10',
      '-e',
      'ssh -o BatchMode=yes -o ConnectTimeout=15 -o ServerAliveInterval=15',
      '/o/M1/DONE',
      'h:/in/M1/DONE',
    ]);
    expect(rsyncFilesArgs({ ...o, target: '/in', passwordFile: '/p', sshKey: '/k' })).not.toContain('--password-file=/p');
    expect(rsyncFilesArgs({ ...o, target: '/in', sshKey: '/k' }).join(' ')).not.toContain('/k');
  });
});

describe('retry schedules', () => {
  it('delivery: nothing to wait before the first attempt, then doubling from min, capped', () => {
    expect([-1, 0, 1, 2, 3].map((n) => retryDelayMs(n, 300, 1000))).toEqual([0, 0, 300, 600, 1000]);
    expect(retryDelayMs(1e9, 300, 1000)).toBe(1000);
    expect(Number.isFinite(retryDelayMs(1e9, 300, Number.POSITIVE_INFINITY))).toBe(true);
  });
});

describe('redactTarget', () => {
  it.each([
    ['rsync://u:pw@h/m', 'rsync://u:***@h/m'],
    ['RSYNC://u:pw@h/m', 'RSYNC://u:***@h/m'],
    ['rsync://u:@h/m', 'rsync://u:***@h/m'],
    ['rsync://u@h:873/m', 'rsync://u@h:873/m'],
    ['rsync://h:873/m', 'rsync://h:873/m'],
    ['u:pw@h:/srv', 'u:pw@h:/srv'],
    ['x rsync://u:pw@h/m', 'x rsync://u:pw@h/m'],
  ])('%s → %s', (target, shown) => {
    expect(redactTarget(target)).toBe(shown);
  });
});
