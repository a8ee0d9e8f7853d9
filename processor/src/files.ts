import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, writeFileDurable } from '@stop-motion/kit';

export { fsyncDir };

/** Writes a file durably (kit's writeFileDurable), making its directory first. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileDurable(file, data);
}

/** Renames and makes the rename durable (fsync of both parent directories). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
}

/** fsyncs a file that another program (ffmpeg) wrote, before it is renamed into place. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const UNSYNCABLE = new Set(['EACCES', 'EPERM', 'ELOOP', 'ENOENT']);

/**
 * fsyncs every regular file and directory below `dir` (links are not followed).
 * A delivery (rsync) writes without fsync; taking a package makes it durable first,
 * or a power cut after the take leaves empty frames behind a durable rename.
 * Parallel, so the file system folds the flushes into few journal commits.
 */
export async function fsyncTree(dir: string): Promise<void> {
  const paths: string[] = [];
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const p = path.join(d, name);
      const st = await lstat(p);
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) paths.push(p);
    }
    paths.push(d);
  };
  await walk(dir);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const p = paths[next++] as string;
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (err) {
        // A file this process cannot read is dropped by validation with its reason, not here.
        if (UNSYNCABLE.has((err as NodeJS.ErrnoException).code ?? '')) continue;
        throw err;
      }
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, paths.length) }, worker));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
