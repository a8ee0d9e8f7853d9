import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPowerDisk,
  diskHolders,
  loopAttached,
  loopDeviceOf,
  type PowerDisk,
  powerCutSupport,
  spawnManaged,
  sweepStalePowerDisks,
  waitFor,
} from '../src/harness/index.js';

const support = await powerCutSupport();
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeSynced(file: string, data: Buffer): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const sizeOrAbsent = (file: string) =>
  stat(file).then(
    (s) => s.size,
    () => null,
  );

describe.skipIf(!support.ok)(`power-cut disk${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  let disk: PowerDisk | undefined;
  afterEach(async () => {
    await disk?.close();
    disk = undefined;
  });

  it('keeps what was fsynced and loses what was only in the page cache', async () => {
    disk = await createPowerDisk('selftest');
    const dir = path.join(disk.mountPoint, 'data');
    await mkdir(dir);
    await fsyncPath(disk.mountPoint);
    const body = Buffer.alloc(200_000, 7);

    // Written, never synced, but created before a later fsync committed the journal.
    await writeFile(path.join(dir, 'early-unsynced'), body);
    // Made durable once, then replaced by rename with an unsynced copy: ext4 would flush
    // that on its own (auto_da_alloc), which the disk turns off.
    await writeSynced(path.join(dir, 'replaced'), Buffer.from('old'));
    await writeFile(path.join(dir, '.tmp-replaced'), body);
    await rename(path.join(dir, '.tmp-replaced'), path.join(dir, 'replaced'));
    // The full durable write: temp, fsync, rename, fsync the directory.
    await writeSynced(path.join(dir, '.tmp-durable'), body);
    await rename(path.join(dir, '.tmp-durable'), path.join(dir, 'durable'));
    await fsyncPath(dir);
    // File fsynced, renamed, directory not synced: the rename is only in memory.
    await writeSynced(path.join(dir, '.tmp-renamed'), body);
    await rename(path.join(dir, '.tmp-renamed'), path.join(dir, 'renamed'));
    // Written after the last fsync.
    await writeFile(path.join(dir, 'late-unsynced'), body);
    // Everything is readable before the cut: the page cache has it all.
    for (const name of ['early-unsynced', 'replaced', 'durable', 'renamed', 'late-unsynced']) {
      expect((await readFile(path.join(dir, name))).equals(body), name).toBe(true);
    }

    const { fsck } = await disk.cutPower();
    expect(fsck).toMatch(/recovering journal/);
    expect((await readFile(path.join(dir, 'durable'))).equals(body)).toBe(true);
    expect(await sizeOrAbsent(path.join(dir, 'early-unsynced'))).toBe(0);
    expect(await sizeOrAbsent(path.join(dir, 'replaced'))).toBe(0);
    expect(await sizeOrAbsent(path.join(dir, 'late-unsynced'))).toBeNull();
    expect(await sizeOrAbsent(path.join(dir, 'renamed'))).toBeNull();
    expect((await readFile(path.join(dir, '.tmp-renamed'))).equals(body)).toBe(true);
  });

  it('boots on the copy at the same path and takes a second cut', async () => {
    disk = await createPowerDisk('selftest');
    const first = path.join(disk.mountPoint, 'first');
    await writeSynced(first, Buffer.from('one'));
    await fsyncPath(disk.mountPoint);
    await disk.cutPower();
    expect(disk.cuts).toBe(1);
    expect(loopDeviceOf(disk.mountPoint)).toMatch(/^\/dev\/loop\d+$/);
    const second = path.join(disk.mountPoint, 'second');
    await writeSynced(second, Buffer.from('two'));
    await fsyncPath(disk.mountPoint);
    await writeFile(path.join(disk.mountPoint, 'third'), 'three');
    await disk.cutPower();
    expect(await readFile(first, 'utf8')).toBe('one');
    expect(await readFile(second, 'utf8')).toBe('two');
    expect(existsSync(path.join(disk.mountPoint, 'third'))).toBe(false);
  });

  it('a helper left running on the disk stops with the power, like every other program', async () => {
    disk = await createPowerDisk('selftest');
    const leftover = spawnManaged({ name: 'sleep', command: 'sleep', args: ['infinity'], cwd: disk.mountPoint });
    await waitFor('sleep to start', () => diskHolders(disk?.mountPoint ?? '').some((h) => h.pid === leftover.child.pid));
    const { stopped } = await disk.cutPower();
    expect(stopped).toEqual([{ pid: leftover.child.pid, comm: 'sleep' }]);
    expect(await leftover.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('refuses to cut power under the test process itself, and says why', async () => {
    disk = await createPowerDisk('selftest');
    const handle = await open(path.join(disk.mountPoint, 'held'), 'w');
    try {
      await expect(disk.cutPower()).rejects.toThrow(/still in use by this process/);
    } finally {
      await handle.close();
    }
  });

  it('close() unmounts, detaches and removes everything', async () => {
    disk = await createPowerDisk('selftest');
    const dev = loopDeviceOf(disk.mountPoint);
    expect(dev).not.toBeNull();
    const base = path.dirname(disk.mountPoint);
    await disk.close();
    await disk.close();
    expect(loopAttached(dev as string)).toBe(false);
    expect(existsSync(base)).toBe(false);
  });

  it('a run that was killed leaves a mounted disk; the next run releases it', async () => {
    let mountPoint: string | undefined;
    const child = spawnManaged({
      name: 'hold-power-disk',
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'e2e/test/hold-power-disk.ts')],
      cwd: repoRoot,
      onLine: (line) => {
        if (line.startsWith('{')) mountPoint = (JSON.parse(line) as { mountPoint: string }).mountPoint;
      },
    });
    try {
      const point = await waitFor('the child to mount its disk', () => mountPoint, {
        timeoutMs: 60_000,
        failIf: () => (child.running() ? undefined : `exited: ${child.output()}`),
      });
      const dev = loopDeviceOf(point);
      expect(dev).toMatch(/^\/dev\/loop\d+$/);
      // SIGKILL: no exit handler runs, the mount and the loop device stay behind.
      await child.kill();
      expect(loopDeviceOf(point)).toBe(dev);
      const swept = await sweepStalePowerDisks();
      expect(swept).toContain(path.dirname(point));
      expect(loopDeviceOf(point)).toBeNull();
      expect(loopAttached(dev as string)).toBe(false);
      expect(existsSync(path.dirname(point))).toBe(false);
    } finally {
      await child.kill();
      if (mountPoint) await sweepStalePowerDisks();
    }
  });

  it('a disk in use is left alone by the sweep', async () => {
    disk = await createPowerDisk('selftest');
    await sweepStalePowerDisks();
    expect(loopDeviceOf(disk.mountPoint)).not.toBeNull();
    expect(await readdir(disk.mountPoint)).toContain('lost+found');
  });
});
