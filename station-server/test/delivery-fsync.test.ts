// The receiver makes the package durable before the station lets it go: rsync's
// --fsync reaches the processor's daemon, which fsyncs every file it writes (seen with
// strace on a real rsync --daemon), and a run without it fsyncs nothing (the check can tell).
import { execFile, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { canConnect, freePort, type ManagedProcess, rsyncdConf, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { DONE_FILE } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rsyncDoneArgs, rsyncFilesArgs } from '../src/delivery/rsync-args.js';

const run = promisify(execFile);
const skip = spawnSync('strace', ['-V']).status === 0 ? null : 'strace is missing';
if (skip) console.warn(`rsync fsync test skipped: ${skip}`);

describe.skipIf(skip !== null)('delivery to the rsync daemon is durable on the receiver', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let daemon: ManagedProcess;
  let url: string;
  const traceFile = () => path.join(dir.path, 'trace.log');
  const secret = 'fsync-test-secret-0001';

  beforeAll(async () => {
    dir = await tempDir('rsync-fsync');
    const port = await freePort();
    const secretsFile = path.join(dir.path, 'rsyncd.secrets');
    await writeFile(secretsFile, `station-s1:${secret}\n`, { mode: 0o600 });
    await writeFile(path.join(dir.path, 'password'), `${secret}\n`, { mode: 0o600 });
    const conf = path.join(dir.path, 'rsyncd.conf');
    await run('mkdir', ['-p', path.join(dir.path, 'inbox')]);
    await writeFile(
      conf,
      rsyncdConf({
        port,
        modules: [{ module: 'station-s1', path: path.join(dir.path, 'inbox'), user: 'station-s1' }],
        secretsFile,
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
        pidFile: path.join(dir.path, 'rsyncd.pid'),
      }),
    );
    // -f follows the daemon's forked session processes, which do the writing; -y names each fd's file.
    daemon = spawnManaged({
      name: 'rsyncd-strace',
      command: 'strace',
      args: ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync', '-o', traceFile(), 'rsync', '--daemon', '--no-detach', `--config=${conf}`],
    });
    await waitFor(`rsync daemon on port ${port}`, () => canConnect(port), {
      failIf: () => (daemon.running() ? undefined : `strace rsync --daemon exited: ${daemon.output()}`),
    });
    url = `rsync://station-s1@127.0.0.1:${port}/station-s1/`;
  });
  afterAll(async () => {
    await daemon?.stop();
    await dir?.remove();
  });

  /** Delivers a package the way the station does (files, then DONE) and returns the daemon's fsync calls meanwhile. */
  async function deliver(movieId: string, strip: string[] = []): Promise<string[]> {
    const source = path.join(dir.path, 'outbox', movieId);
    await run('mkdir', ['-p', source]);
    for (const f of ['frame-0001.jpg', 'frame-0002.jpg', 'manifest.json', DONE_FILE])
      await writeFile(path.join(source, f), `${movieId} ${f}\n`);
    const before = (await readFile(traceFile(), 'utf8').catch(() => '')).length;
    const o = { target: url, movieId, source, timeoutSeconds: 20, passwordFile: path.join(dir.path, 'password') };
    for (const args of [rsyncFilesArgs(o), rsyncDoneArgs(o)])
      await run(
        'rsync',
        args.filter((a) => !strip.includes(a)),
        { timeout: 60_000 },
      );
    await waitFor('the package in the inbox', async () =>
      (await readFile(path.join(dir.path, 'inbox', movieId, DONE_FILE), 'utf8').catch(() => '')).includes(movieId),
    );
    return (await readFile(traceFile(), 'utf8'))
      .slice(before)
      .split('\n')
      .filter((l) => /\b(fsync|fdatasync)\(/.test(l) && / = 0$/.test(l));
  }

  it('every file of the package, DONE too, is fsynced by the daemon before rsync answers', async () => {
    const calls = await deliver('M1');
    for (const f of ['frame-0001.jpg', 'frame-0002.jpg', 'manifest.json', DONE_FILE]) {
      expect(
        calls.some((l) => l.includes(`M1/`) && l.includes(f)),
        `${f} in:\n${calls.join('\n')}`,
      ).toBe(true);
    }
  });

  it('without --fsync the daemon fsyncs nothing (the check can tell)', async () => {
    expect(await deliver('M2', ['--fsync'])).toEqual([]);
  });
});
