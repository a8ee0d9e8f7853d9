import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/** A fresh directory under the system temp dir, unique to the caller. */
export async function tempDir(prefix: string): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sms-${prefix.replace(/[^A-Za-z0-9_-]/g, '')}-`));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
