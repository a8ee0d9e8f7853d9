import { readdir, readFile } from 'node:fs/promises';

/** Pids of mpv processes whose command line names `socketPath` (the processor's own mpv). */
export async function mpvPidsFor(socketPath: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args[0]?.endsWith('mpv') && args.some((a) => a.includes(socketPath))) pids.push(Number(entry));
  }
  return pids;
}
