import { execFile, spawnSync } from 'node:child_process';
import { constants, existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

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
const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findProgram(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN]) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function program(name: string): string {
  const found = findProgram(name);
  if (!found) throw new Error(`${name} is not installed (e2fsprogs, util-linux, coreutils)`);
  return found;
}

async function run(name: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout, stderr } = await execFileP(program(name), [...args], { timeout: timeoutMs, encoding: 'utf8' });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; code?: number | string };
    throw new Error(
      `${name} ${args.join(' ')} failed (${e.code ?? 'no exit code'}): ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`,
    );
  }
}

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

/** Mount points below `dir`, deepest first, from the kernel's own table. */
function mountsUnder(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points: string[] = [];
  for (const line of lines) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // mountinfo escapes space, tab, newline and backslash as octal.
    const point = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (point === dir || point.startsWith(`${dir}/`)) points.push(point);
  }
  return points.sort((a, b) => b.length - a.length);
}

/** Loop devices whose backing file lies below `dir`. */
function loopsUnder(dir: string): string[] {
  const out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/sys/block').filter((n) => /^loop\d+$/.test(n));
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      const backing = readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8')
        .trim()
        .replace(/ \(deleted\)$/, '');
      if (backing === dir || backing.startsWith(`${dir}/`)) out.push(`/dev/${name}`);
    } catch {
      // Not attached.
    }
  }
  return out;
}

/** Unmounts (lazily, it must not hang at exit), detaches and removes; never throws. */
function releaseSync(dir: string): void {
  for (const point of mountsUnder(dir)) {
    const umount = findProgram('umount');
    if (umount) spawnSync(umount, ['-l', point], { stdio: 'ignore', timeout: 30_000 });
  }
  const losetup = findProgram('losetup');
  for (const dev of loopsUnder(dir)) if (losetup) spawnSync(losetup, ['-d', dev], { stdio: 'ignore', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
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

async function attachAndMount(image: string, mountPoint: string): Promise<string> {
  const dev = (await run('losetup', ['--find', '--show', image])).trim();
  try {
    // commit=60: the journal is written only when a program asks (fsync) or after a minute.
    // noauto_da_alloc: ext4 otherwise flushes a file replaced by rename or truncate on its
    // own, which hides a missing fsync; the disk should keep only what was asked for.
    await run('mount', ['-t', 'ext4', '-o', 'commit=60,noauto_da_alloc', dev, mountPoint]);
  } catch (err) {
    await run('losetup', ['-d', dev]).catch(() => undefined);
    throw err;
  }
  return dev;
}

export interface DiskHolder {
  pid: number;
  /** The program's name, from /proc/<pid>/comm. */
  comm: string;
}

/** Processes with a working directory, root or open file on the mounted disk (what `fuser -m` reports). */
export function diskHolders(mountPoint: string): DiskHolder[] {
  const on = (p: string) => p === mountPoint || p.startsWith(`${mountPoint}/`);
  const holders: DiskHolder[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const links = ['cwd', 'root'].map((l) => `/proc/${pid}/${l}`);
      for (const fd of readdirSync(`/proc/${pid}/fd`)) links.push(`/proc/${pid}/fd/${fd}`);
      const holds = links.some((l) => {
        try {
          return on(readlinkSync(l));
        } catch {
          return false;
        }
      });
      if (holds) holders.push({ pid, comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return holders;
}

/**
 * When the power goes, every program on the machine stops at once; a helper the
 * program started (an ffmpeg writing thumbnails) must not outlive the cut and
 * keep the disk busy. Ends those processes, never the test runner itself.
 */
async function stopHolders(mountPoint: string): Promise<DiskHolder[]> {
  const stopped: DiskHolder[] = [];
  for (let round = 0; round < 50; round++) {
    const holders = diskHolders(mountPoint);
    if (holders.some((h) => h.pid === process.pid)) {
      throw new Error(`the power-cut disk at ${mountPoint} is still in use by this process; close its files before cutting power`);
    }
    if (holders.length === 0) return stopped;
    for (const h of holders) {
      try {
        process.kill(h.pid, 'SIGKILL');
        if (!stopped.some((s) => s.pid === h.pid)) stopped.push(h);
      } catch {
        // Exited meanwhile.
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`processes keep the power-cut disk at ${mountPoint} busy: ${JSON.stringify(diskHolders(mountPoint))}`);
}

async function unmountAndDetach(mountPoint: string, dev: string): Promise<void> {
  // A program forked just before the cut (the station's thumbnail ffmpeg) may open its
  // files on the disk only after the holders were ended: end those too, and try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await run('umount', [mountPoint]);
      break;
    } catch (err) {
      const holders = diskHolders(mountPoint);
      if (attempt >= 5 || holders.length === 0) {
        throw new Error(`the power-cut disk at ${mountPoint} is still in use (${(err as Error).message}): ${JSON.stringify(holders)}`);
      }
      await stopHolders(mountPoint);
    }
  }
  await run('losetup', ['-d', dev]);
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

/** The loop device a path's file system lives on, for checks in tests. */
export function loopDeviceOf(mountPoint: string): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    if (fields[4] !== mountPoint) continue;
    const sep = fields.indexOf('-');
    const source = fields[sep + 2];
    if (source?.startsWith('/dev/loop')) return source;
  }
  return null;
}

/** Whether a loop device is still attached to a backing file. */
export function loopAttached(dev: string): boolean {
  try {
    return readFileSync(`/sys/block/${path.basename(dev)}/loop/backing_file`, 'utf8').trim().length > 0;
  } catch {
    return false;
  }
}
