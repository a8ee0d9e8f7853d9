// Loop devices and mounts of the power-cut disks: the programs that handle them, attaching, mounting, finding and releasing.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const execFileP = promisify(execFile);

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export function findProgram(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN]) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export function program(name: string): string {
  const found = findProgram(name);
  if (!found) throw new Error(`${name} is not installed (e2fsprogs, util-linux, coreutils)`);
  return found;
}

export async function run(name: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
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

/** Mount points below `dir`, deepest first, from the kernel's own table. */
export function mountsUnder(dir: string): string[] {
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
export function releaseSync(dir: string): void {
  for (const point of mountsUnder(dir)) {
    const umount = findProgram('umount');
    if (umount) spawnSync(umount, ['-l', point], { stdio: 'ignore', timeout: 30_000 });
  }
  const losetup = findProgram('losetup');
  for (const dev of loopsUnder(dir)) if (losetup) spawnSync(losetup, ['-d', dev], { stdio: 'ignore', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
}

export async function attachAndMount(image: string, mountPoint: string): Promise<string> {
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
