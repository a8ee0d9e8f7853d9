import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { lstat, open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '@stop-motion/kit';
import { DONE_FILE, isValidId, MANIFEST_FILE, NOPUBLISH_FILE, PUBLISH_FILE, parseManifest } from '@stop-motion/protocol';

/**
 * Checks on a delivered package before it leaves the inbox: names every tool can
 * handle, and every file the manifest lists actually there (DONE alone does not make a
 * package complete: a station or an rsync run may write it before the frames).
 */

/** A file name as bytes, readable in a log line and a REASON file: printable ASCII kept, every other byte as \xNN. */
export function showName(name: Buffer): string {
  let out = '';
  for (const byte of name.subarray(0, 120)) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return name.length > 120 ? `${out}…` : out;
}

export function isUtf8Name(name: Buffer): boolean {
  return isUtf8(name);
}

/** `dir` + `/` + `name`, as bytes: a name that is not UTF-8 cannot round-trip through a string path. */
export function joinBytes(dir: string | Buffer, name: Buffer): Buffer {
  return Buffer.concat([typeof dir === 'string' ? Buffer.from(dir) : dir, Buffer.from(path.sep), name]);
}

/**
 * The first entry (up to `depth` levels down) whose name is not valid UTF-8, shown
 * escaped, or null. Such a name reads back from readdir as U+FFFD and then names no file.
 */
export async function findNonUtf8Name(dir: string | Buffer, depth = 2): Promise<string | null> {
  let names: Buffer[];
  try {
    names = await readdir(dir, { encoding: 'buffer' });
  } catch {
    return null;
  }
  for (const name of names) if (!isUtf8Name(name)) return showName(name);
  if (depth <= 1) return null;
  for (const name of names.slice(0, 10_000)) {
    const child = joinBytes(dir, name);
    const st = await lstat(child).catch(() => null);
    if (!st?.isDirectory()) continue;
    const inner = await findNonUtf8Name(child, depth - 1);
    if (inner) return `${showName(name)}/${inner}`;
  }
  return null;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The files the manifest lists (frames and the publish flag) that are not in `dir`.
 * An unreadable or invalid manifest, or none, lists nothing here: validation judges it.
 */
export async function missingFiles(dir: string, id: string): Promise<string[]> {
  let text: string;
  try {
    const handle = await open(path.join(dir, MANIFEST_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.size > MAX_MANIFEST_BYTES) return [];
      text = (await handle.readFile()).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
  const parsed = parseManifest(text, id);
  if (!parsed.ok) return [];
  const present = new Set(await readdir(dir));
  const missing = parsed.value.frames.map((f) => f.file).filter((file) => !present.has(file));
  // The other flag instead of the expected one is a disagreement for validation to report, not a late file.
  if (!present.has(PUBLISH_FILE) && !present.has(NOPUBLISH_FILE))
    missing.push(parsed.value.publish === 'public' ? PUBLISH_FILE : NOPUBLISH_FILE);
  return missing;
}

export type Intake = { kind: 'take' } | { kind: 'wait'; missing: string[]; leftMs: number } | { kind: 'refuse'; reason: string };

/** What to do with a package whose DONE is there: take it, wait for late files, or quarantine it. */
export async function checkDelivery(dir: string, id: string, opts: { graceMs: number; now?: number }): Promise<Intake> {
  const bad = await findNonUtf8Name(dir);
  if (bad) return { kind: 'refuse', reason: `a file name in the package is not valid UTF-8: "${bad}"` };
  const missing = await missingFiles(dir, id);
  if (missing.length === 0) return { kind: 'take' };
  // DONE's ctime is when it arrived here (rsync keeps the sender's mtime, never the ctime), so the grace survives restarts.
  const done = await lstat(path.join(dir, DONE_FILE)).catch(() => null);
  const arrived = done ? done.ctimeMs : 0;
  const leftMs = arrived + opts.graceMs - (opts.now ?? Date.now());
  if (leftMs > 0) return { kind: 'wait', missing, leftMs };
  return { kind: 'refuse', reason: describeMissing(missing, opts.graceMs) };
}

export function describeMissing(missing: readonly string[], graceMs: number): string {
  const shown = missing.slice(0, 20).join(', ');
  const more = missing.length > 20 ? ` and ${missing.length - 20} more` : '';
  return `incomplete: ${missing.length} file(s) the manifest lists did not arrive within ${Math.round(graceMs / 1000)} s of DONE: ${shown}${more}`;
}

/** In a station's area of the inbox (inbox/<stationId>/): marks it as one, also while it is empty. */
export const AREA_MARKER = '.stop-motion-area';

/**
 * Whether an inbox directory is a station's area: it has the marker (made with the
 * area by stop-motion-station-secret), or it holds nothing but package directories, at
 * least one of them with its manifest or DONE there; the marker is then added, so an
 * area that is empty for now, or a stray DONE at its top, never makes the area itself
 * look like a package. A package (files at its top, rsync's temporary entries while it
 * arrives, or only subdirectories that are not packages) never qualifies.
 */
export async function isStationArea(name: string, dir: string): Promise<boolean> {
  if (!isValidId(name)) return false;
  if (await exists(path.join(dir, AREA_MARKER))) return true;
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.length === 0 || entries.some((e) => !e.isDirectory() || e.name.startsWith('.'))) return false;
  let packages = false;
  for (const e of entries) {
    if (!isValidId(e.name)) continue;
    const inner = path.join(dir, e.name);
    if ((await exists(path.join(inner, MANIFEST_FILE))) || (await exists(path.join(inner, DONE_FILE)))) {
      packages = true;
      break;
    }
  }
  if (!packages) return false;
  // O_EXCL: never through a link a station may have put there meanwhile.
  await writeFile(path.join(dir, AREA_MARKER), "a station's delivery area: inbox/<stationId>/<movieId>/\n", { flag: 'wx' }).catch(
    () => undefined,
  );
  return true;
}
