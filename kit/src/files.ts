import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** fsyncs a directory so that a rename, create or unlink inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp files of durable writes start with this, so a sweep after a crash knows them. */
export const TEMP_PREFIX = '.tmp-';

/**
 * Writes a file so that after a crash or a power cut it holds the old content or the
 * new, never half: a temp name in the same directory, fsync, rename, fsync of the
 * directory (skip that with `syncDir: false` when the caller fsyncs it once for many).
 */
export async function writeFileDurable(
  file: string,
  data: Uint8Array | string,
  opts: { syncDir?: boolean; mode?: number } = {},
): Promise<void> {
  await replaceFile(file, data, { sync: true, syncDir: opts.syncDir !== false, mode: opts.mode ?? 0o644 });
}

/**
 * Writes a file so that readers see the old content or the new, never half; without
 * fsync, so a power cut may lose it. For caches (thumbnails) that can be made again.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await replaceFile(file, data, { sync: false, syncDir: false, mode: 0o644 });
}

async function replaceFile(
  file: string,
  data: Uint8Array | string,
  opts: { sync: boolean; syncDir: boolean; mode: number },
): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `${TEMP_PREFIX}${path.basename(file)}.${randomBytes(4).toString('hex')}`);
  const handle = await open(temp, 'w', opts.mode);
  try {
    await handle.writeFile(data);
    if (opts.sync) await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  if (opts.syncDir) await fsyncDir(dir);
}

/**
 * True when something is at the path (a link counts as itself, it is not followed);
 * false only when nothing is (ENOENT, ENOTDIR). Other errors (EACCES, EIO) are thrown,
 * so a failing disk is not taken for an empty one.
 */
export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}
