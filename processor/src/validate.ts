import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  checkFrameSequence,
  DONE_FILE,
  type DroppedFrame,
  flagAgrees,
  frameFileName,
  isFrameFileName,
  MANIFEST_FILE,
  type MoviePackage,
  NOPUBLISH_FILE,
  PUBLISH_FILE,
  packageFromManifest,
  packageFromOriginalLayout,
  parseManifest,
} from '@stop-motion/protocol';
import { isUtf8Name, showName } from './intake.js';
import { inspectJpeg, type JpegInfo } from './jpeg.js';

export interface Limits {
  maxFrames: number;
  maxFramePixels: number;
  maxFrameBytes: number;
  /** Scans (decoder passes) a frame may have; see DEFAULT_MAX_SCANS. */
  maxJpegScans?: number | undefined;
}

export interface GoodFrame {
  file: string;
  info: JpegInfo;
}

export type { DroppedFrame } from '@stop-motion/protocol';

export type Validation =
  | { ok: true; pkg: MoviePackage; frames: GoodFrame[]; dropped: DroppedFrame[]; warnings: string[] }
  | { ok: false; reason: string; dropped: DroppedFrame[] };

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** libx264 and the mjpeg decoder are both happy up to here; the pixel limit usually bites first. */
const MAX_SIDE = 8192;

/** Reads a regular file without following a symlink that may have replaced it since lstat. */
async function readNoFollow(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function describeEntry(st: import('node:fs').Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks a package in the processor's own directory before anything trusts it: the
 * manifest (or original layout), names, file types, checksums, sizes and JPEG structure.
 * Frames that fail are dropped with a reason; the package fails only when nothing is usable.
 */
export async function validatePackage(dir: string, id: string, limits: Limits): Promise<Validation> {
  const dropped: DroppedFrame[] = [];
  const warnings: string[] = [];
  const raw = await readdir(dir, { encoding: 'buffer' });
  const undecodable = raw.find((name) => !isUtf8Name(name));
  if (undecodable) return { ok: false, reason: `a file name in the package is not valid UTF-8: "${showName(undecodable)}"`, dropped };
  const entries = raw.map((name) => name.toString('utf8'));
  const regular = new Set<string>();
  const irregular = new Map<string, string>();
  for (const name of entries) {
    const st = await lstat(path.join(dir, name));
    if (st.isFile()) regular.add(name);
    else irregular.set(name, describeEntry(st));
  }
  if (irregular.has(MANIFEST_FILE)) return { ok: false, reason: `manifest.json is ${irregular.get(MANIFEST_FILE)}`, dropped };
  for (const flag of [PUBLISH_FILE, NOPUBLISH_FILE]) {
    if (irregular.has(flag)) return { ok: false, reason: `${flag} is ${irregular.get(flag)}`, dropped };
  }
  const names = [...regular, ...irregular.keys()];

  let pkg: MoviePackage;
  if (regular.has(MANIFEST_FILE)) {
    let text: string;
    try {
      const size = (await lstat(path.join(dir, MANIFEST_FILE))).size;
      if (size > MAX_MANIFEST_BYTES) {
        return {
          ok: false,
          reason: `manifest.json is too large (${size} bytes; at most ${MAX_MANIFEST_BYTES}, which is far more than ${limits.maxFrames} frames need)`,
          dropped,
        };
      }
      text = (await readNoFollow(path.join(dir, MANIFEST_FILE), MAX_MANIFEST_BYTES)).toString('utf8');
    } catch (err) {
      return { ok: false, reason: `manifest.json cannot be read: ${(err as Error).message}`, dropped };
    }
    const parsed = parseManifest(text, id);
    if (!parsed.ok) return { ok: false, reason: parsed.reason, dropped };
    const agrees = flagAgrees(parsed.value, names);
    if (!agrees.ok) return { ok: false, reason: agrees.reason, dropped };
    if (parsed.value.frames.length > limits.maxFrames) {
      return {
        ok: false,
        reason: `the manifest lists ${parsed.value.frames.length} frames, more than the limit of ${limits.maxFrames}`,
        dropped,
      };
    }
    pkg = packageFromManifest(parsed.value);
    const listed = new Set(pkg.frames.map((f) => f.file));
    const extra = names.filter((n) => isFrameFileName(n) && !listed.has(n));
    if (extra.length > 0) warnings.push(`${extra.length} frame file(s) not in the manifest were ignored (first: ${extra[0]})`);
  } else {
    const frameNames = names.filter((n) => n !== PUBLISH_FILE && n !== NOPUBLISH_FILE && n !== DONE_FILE && !n.startsWith('.'));
    const nonFrames = frameNames.filter((n) => !isFrameFileName(n));
    if (nonFrames.length > 0) {
      return {
        ok: false,
        reason: `no manifest, and files that are not frames: ${nonFrames
          .slice(0, 3)
          .map((n) => JSON.stringify(n.slice(0, 60)))
          .join(', ')}`,
        dropped,
      };
    }
    if (frameNames.length > limits.maxFrames) {
      return { ok: false, reason: `the package has ${frameNames.length} frames, more than the limit of ${limits.maxFrames}`, dropped };
    }
    // A gap in the numbering loses nothing that is there: keep the frames in order and say so.
    const canonical = frameNames.filter((n) => {
      const index = Number.parseInt(n, 10);
      return frameFileName(index) === n;
    });
    const sorted = [...canonical].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    const sequence = checkFrameSequence(sorted);
    if (!sequence.ok) warnings.push(`frame numbering: ${sequence.reason}; the frames present are used in order`);
    for (const n of frameNames) if (!canonical.includes(n)) dropped.push({ file: n, reason: 'frame name is not canonical' });
    const flagNames = names.filter((n) => n === PUBLISH_FILE || n === NOPUBLISH_FILE);
    const layout = packageFromOriginalLayout({ dirName: id, fileNames: [...flagNames, ...sorted.map((_, i) => frameFileName(i))] });
    if (!layout.ok) return { ok: false, reason: layout.reason, dropped };
    pkg = { ...layout.value, frames: sorted.map((file) => ({ file, sha256: null })) };
  }

  const frames: GoodFrame[] = [];
  for (const frame of pkg.frames) {
    const file = path.join(dir, frame.file);
    const kind = irregular.get(frame.file);
    if (kind) {
      dropped.push({ file: frame.file, reason: `is ${kind}` });
      continue;
    }
    if (!regular.has(frame.file)) {
      dropped.push({ file: frame.file, reason: 'listed in the manifest but missing' });
      continue;
    }
    let data: Buffer;
    try {
      data = await readNoFollow(file, limits.maxFrameBytes);
    } catch (err) {
      dropped.push({ file: frame.file, reason: `cannot be read: ${(err as Error).message}` });
      continue;
    }
    if (frame.sha256 !== null) {
      const actual = createHash('sha256').update(data).digest('hex');
      if (actual !== frame.sha256) {
        dropped.push({
          file: frame.file,
          reason: `checksum mismatch (manifest ${frame.sha256.slice(0, 12)}…, file ${actual.slice(0, 12)}…)`,
        });
        continue;
      }
    }
    const jpeg = inspectJpeg(data, { maxScans: limits.maxJpegScans });
    if (!jpeg.ok) {
      dropped.push({ file: frame.file, reason: jpeg.reason });
      continue;
    }
    const { width, height } = jpeg.info;
    if (width > MAX_SIDE || height > MAX_SIDE || width * height > limits.maxFramePixels) {
      dropped.push({ file: frame.file, reason: `${width}×${height} is larger than the frame limit` });
      continue;
    }
    frames.push({ file: frame.file, info: jpeg.info });
  }
  if (frames.length === 0) {
    const first = dropped[0];
    const detail = first ? `; e.g. ${first.file}: ${first.reason}` : '';
    return { ok: false, reason: `no usable frames (${dropped.length} dropped${detail})`, dropped };
  }
  return { ok: true, pkg, frames, dropped, warnings };
}

/** Upright size of a frame, after its EXIF orientation is applied. */
export function uprightSize(info: JpegInfo): { width: number; height: number } {
  return info.orientation >= 5 ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
}

/** The size most frames have: the film's natural size when the manifest does not say. */
export function dominantSize(frames: readonly GoodFrame[]): { width: number; height: number } {
  const counts = new Map<string, number>();
  for (const f of frames) {
    const s = uprightSize(f.info);
    const key = `${s.width}x${s.height}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let best = '';
  let bestCount = -1;
  for (const [key, count] of counts) {
    if (count > bestCount) {
      best = key;
      bestCount = count;
    }
  }
  // No frames: ''.split('x') would give a width of 0, not the fallback below.
  const [w, h] = best ? best.split('x').map(Number) : [];
  return { width: w ?? 2, height: h ?? 2 };
}
