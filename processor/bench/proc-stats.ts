/** What the render benchmark reads from /proc: peak RSS, child pids, CPU time of reaped children. */
import { readdir, readFile } from 'node:fs/promises';

/** Peak RSS (VmHWM) in MB of a pid, or 0 when it is gone. */
export async function peakRssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export async function childPids(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const out: number[] = [];
    for (const t of tasks) {
      const text = await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '');
      out.push(...text.split(/\s+/).filter(Boolean).map(Number));
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * CPU seconds of a process's reaped children (cutime + cstime in /proc/<pid>/stat): ffmpeg's
 * cost without the waiting a loaded machine adds, so the ratios hold beside other work.
 */
export async function childCpuSeconds(pid: number | 'self'): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
export const CLOCK_TICKS = 100;
