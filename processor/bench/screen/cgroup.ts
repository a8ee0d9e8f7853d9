// A cgroup v1 CPU weight for the processor and the ffmpegs it starts (the playback grid's `/shares` cells).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFileP } from './rig.js';

/** cgroup v1 CPU weight for the processor and everything it starts; null where it cannot be made. */
export async function cpuGroup(
  name: string,
  shares: number,
): Promise<{ add(pid: number): Promise<void>; release(pid: number): Promise<void>; remove(): Promise<void> } | null> {
  const root = '/sys/fs/cgroup/cpu';
  const dir = path.join(root, name);
  try {
    await mkdir(dir);
    await writeFile(path.join(dir, 'cpu.shares'), String(shares));
  } catch {
    return null;
  }
  return {
    add: (pid) => writeFile(path.join(dir, 'cgroup.procs'), String(pid)),
    // mpv goes back to the parent group: the weight is for the renders, not the screen.
    release: (pid) => writeFile(path.join(root, 'cgroup.procs'), String(pid)),
    async remove() {
      for (const pid of (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean)) {
        await writeFile(path.join(root, 'cgroup.procs'), pid).catch(() => {});
      }
      await rm(dir, { recursive: false, force: true }).catch(() => execFileP('rmdir', [dir]).catch(() => {}));
    },
  };
}
