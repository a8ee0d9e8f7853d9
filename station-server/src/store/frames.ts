// The frames of a movie in progress as files: their hashes, and what a restart finds of them.
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, TEMP_PREFIX } from '@stop-motion/kit';
import { frameFileName, frameIndex, isFrameFileName, MANIFEST_FILE, NOPUBLISH_FILE, PUBLISH_FILE } from '@stop-motion/protocol';
import type { Logger } from '../log.js';

export interface StoredFrame {
  file: string;
  sha256: string;
}

/** `frame.hash` in the protocol: enough of the sha256 to bust caches. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 16);
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The frames in a movie's directory after a restart: leftovers of an interrupted write
 * or finish removed, numbering made contiguous, each frame hashed from its bytes.
 */
export async function recoverFrames(dir: string, log: Logger): Promise<StoredFrame[]> {
  const names = await readdir(dir);
  let changed = false;
  for (const name of names) {
    // Leftovers of a write or a finish that never completed.
    if (name.startsWith(TEMP_PREFIX) || name === MANIFEST_FILE || name === PUBLISH_FILE || name === NOPUBLISH_FILE) {
      await unlink(path.join(dir, name));
      changed = true;
    }
  }
  const frameNames = names.filter((n) => isFrameFileName(n)).sort((a, b) => (frameIndex(a) ?? 0) - (frameIndex(b) ?? 0));
  const frames: StoredFrame[] = [];
  for (const [i, name] of frameNames.entries()) {
    let file = name;
    if (name !== frameFileName(i)) {
      // A gap cannot come from this code, but numbering must be contiguous whatever happened.
      file = frameFileName(i);
      await rename(path.join(dir, name), path.join(dir, file));
      changed = true;
      log.warn({ event: 'store.renumbered', from: name, to: file }, 'closed a gap in frame numbering');
    }
    const data = await readFile(path.join(dir, file));
    frames.push({ file, sha256: sha256Hex(data) });
  }
  if (changed) await fsyncDir(dir);
  return frames;
}
