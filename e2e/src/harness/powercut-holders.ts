// The processes that keep a power-cut disk busy, ended as the power cut would end them, and the unmount that waits for them.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { run } from './powercut-loop.js';

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
export async function stopHolders(mountPoint: string): Promise<DiskHolder[]> {
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

export async function unmountAndDetach(mountPoint: string, dev: string): Promise<void> {
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
