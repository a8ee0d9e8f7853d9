import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** fsync a directory so a rename or unlink inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const TEMP_PREFIX = '.tmp-';

/**
 * Writes a file so that after a power cut it is either absent or complete: temp
 * name in the same directory, fsync, rename, fsync the directory.
 */
export async function writeFileDurable(file: string, data: Uint8Array | string, opts: { syncDir?: boolean } = {}): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `${TEMP_PREFIX}${path.basename(file)}.${randomBytes(4).toString('hex')}`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
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
  if (opts.syncDir !== false) await fsyncDir(dir);
}
