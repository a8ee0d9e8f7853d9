// A disk whose power can be cut, for the power-cut tests: the disk's life from creation to close, and the sweep of disks a crashed run left.
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type DiskHolder, stopHolders, unmountAndDetach } from './powercut-holders.js';
import { attachAndMount, execFileP, findProgram, mountsUnder, program, releaseSync, run } from './powercut-loop.js';

export { type DiskHolder, diskHolders } from './powercut-holders.js';
export { loopAttached, loopDeviceOf } from './powercut-loop.js';

/**
 * A disk whose power can be cut: an ext4 image on a loop device, mounted with a
 * 60 s journal commit and without ext4's replace-by-rename flush, so nothing
 * reaches the image unless the program under test made it durable (fsync) or the
 * kernel wrote it back on its own (after 30 s).
 *
 * The power cut copies the backing image while the file system is still mounted.
 * The copy holds what the file system had sent to its block device, never what
 * sat in its page cache, which is what a disk holds when the power goes. The copy
 * is then checked (journal replay, as at boot) and mounted where the original was,
 * so the program restarts on the same paths.
 */
export interface PowerDisk {
  /** Where the file system is mounted; give the program a directory below it. */
  readonly mountPoint: string;
  /** How many power cuts this disk has been through. */
  readonly cuts: number;
  /**
   * Cuts the power now and boots from what survived. Kill the program under test
   * first (SIGKILL leaves the page cache as it was); processes it left behind on
   * the disk are killed after the image is copied, as the power cut would have.
   * Resolves with the output of the file system check and those processes.
   */
  cutPower(): Promise<{ fsck: string; stopped: DiskHolder[] }>;
  /** Unmounts, detaches the loop device and removes every file. Safe to call twice. */
  close(): Promise<void>;
}

export type PowerCutSupport = { ok: true } | { ok: false; reason: string };

const PREFIX = 'sms-powercut-';
const PROGRAMS = ['losetup', 'mkfs.ext4', 'e2fsck', 'mount', 'umount', 'dd'];

/**
 * Whether this machine can cut power to a loop disk: root, loop devices, and the
 * tools. A machine without them gets a reason to show in the skipped test's name.
 */
export async function powerCutSupport(): Promise<PowerCutSupport> {
  if (process.platform !== 'linux') return { ok: false, reason: `loop devices need Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'mounting a loop device needs root' };
  try {
    await access('/dev/loop-control', constants.R_OK | constants.W_OK);
  } catch {
    return { ok: false, reason: 'no /dev/loop-control: this kernel or container has no loop devices' };
  }
  const missing = PROGRAMS.filter((p) => !findProgram(p));
  if (missing.length > 0) return { ok: false, reason: `missing programs: ${missing.join(', ')}` };
  try {
    const found = (await run('losetup', ['--find'])).trim();
    if (!found.startsWith('/dev/loop')) return { ok: false, reason: `losetup --find gave no free loop device: ${found}` };
  } catch (err) {
    return { ok: false, reason: `no free loop device: ${(err as Error).message}` };
  }
  return { ok: true };
}

/** Disks of this process, detached synchronously if it exits before their close(). */
const open = new Set<{ dir: string }>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const d of open) releaseSync(d.dir);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run that crashed (SIGKILL, OOM) left its disk mounted; release every disk whose
 * owner is gone, so stale mounts and loop devices never pile up or get in the way.
 */
export async function sweepStalePowerDisks(): Promise<string[]> {
  const base = os.tmpdir();
  const swept: string[] = [];
  for (const name of await readdir(base)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(base, name);
    const owner = Number.parseInt(await readFile(path.join(dir, 'owner.pid'), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0) {
      if (alive(owner)) continue;
    } else {
      // No owner yet: another process may be creating it this very moment.
      const age = await stat(dir).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age < 60_000) continue;
    }
    releaseSync(dir);
    swept.push(dir);
  }
  return swept;
}

/** Creates and mounts a fresh power-cut disk in its own temp dir. */
export async function createPowerDisk(name: string, opts: { sizeMb?: number } = {}): Promise<PowerDisk> {
  await sweepStalePowerDisks();
  hookExit();
  const dir = await mkdtemp(path.join(os.tmpdir(), `${PREFIX}${name.replace(/[^A-Za-z0-9_-]/g, '')}-`));
  const entry = { dir };
  open.add(entry);
  try {
    await writeFile(path.join(dir, 'owner.pid'), `${process.pid}\n`);
    const mountPoint = path.join(dir, 'mnt');
    await mkdir(mountPoint);
    let image = path.join(dir, 'disk-0.img');
    await writeFile(image, '');
    await truncate(image, (opts.sizeMb ?? 96) * 1024 * 1024);
    // Inode tables and journal written now, so no background initialisation writes during a test.
    await run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]);
    let dev = await attachAndMount(image, mountPoint);
    let cuts = 0;
    let closed = false;
    return {
      mountPoint,
      get cuts() {
        return cuts;
      },
      async cutPower() {
        if (closed) throw new Error('the power-cut disk is closed');
        const after = path.join(dir, `disk-${cuts + 1}.img`);
        // O_DIRECT: the image as the loop device wrote it, read past any cache; no sync before.
        await run('dd', [`if=${image}`, `of=${after}`, 'bs=1M', 'iflag=direct', 'conv=sparse', 'status=none']);
        const stopped = await stopHolders(mountPoint);
        await unmountAndDetach(mountPoint, dev);
        await rm(image, { force: true });
        cuts++;
        image = after;
        // What a boot does: replay the journal and check. 1 and 2 mean "corrected", 4 and up "left broken".
        const fsck = await execFileP(program('e2fsck'), ['-f', '-y', image], { encoding: 'utf8', timeout: 120_000 }).then(
          (r) => ({ code: 0, out: `${r.stdout}${r.stderr}` }),
          (err: Error & { code?: number; stdout?: string; stderr?: string }) => ({
            code: typeof err.code === 'number' ? err.code : -1,
            out: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`,
          }),
        );
        if (fsck.code < 0 || fsck.code >= 4)
          throw new Error(`e2fsck could not repair the disk after the power cut (exit ${fsck.code}):\n${fsck.out}`);
        dev = await attachAndMount(image, mountPoint);
        return { fsck: fsck.out, stopped };
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          if (mountsUnder(dir).length > 0) await unmountAndDetach(mountPoint, dev);
        } finally {
          releaseSync(dir);
          open.delete(entry);
        }
      },
    };
  } catch (err) {
    releaseSync(dir);
    open.delete(entry);
    throw err;
  }
}
