/**
 * A structural look at a JPEG without decoding it: enough to refuse what is not a
 * JPEG, is cut short, is CMYK, is too large, or needs turning upright — cheaply,
 * before ffmpeg ever sees it.
 */
export interface JpegInfo {
  width: number;
  height: number;
  components: number;
  progressive: boolean;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  /** Adobe APP14 marker present with a transform that means CMYK/YCCK when components = 4. */
  adobe: boolean;
  /** Chroma layout, e.g. `22,11,11` for 4:2:0: frames that differ are re-encoded to match the others. */
  sampling: string;
  /** Start-of-scan segments in the whole file: each one is another decoder pass over the frame. */
  scans: number;
}

/**
 * Encoders write 1 scan (baseline) or about 10 (libjpeg's progressive script; mozjpeg's
 * optimised scripts stay near 20). Far more is a decode-cost attack: every scan is one
 * more pass over all the blocks of the frame, at a few bytes per scan.
 */
export const DEFAULT_MAX_SCANS = 100;

export type JpegCheck = { ok: true; info: JpegInfo } | { ok: false; reason: string };

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function sniff(buf: Uint8Array): string {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return 'PNG data';
  if (buf.length >= 4 && buf[0] === 0x47 && buf[1] === 0x49 && buf[2] === 0x46) return 'GIF data';
  if (buf.length >= 12 && buf[8] === 0x57 && buf[9] === 0x45 && buf[10] === 0x42 && buf[11] === 0x50) return 'WebP data';
  return 'unknown data';
}

function readExifOrientation(buf: Uint8Array, start: number, end: number): number {
  // "Exif\0\0" then a TIFF header.
  if (end - start < 14) return 1;
  const tag = String.fromCharCode(...buf.subarray(start, start + 4));
  if (tag !== 'Exif') return 1;
  const tiff = start + 6;
  const little = buf[tiff] === 0x49 && buf[tiff + 1] === 0x49;
  const big = buf[tiff] === 0x4d && buf[tiff + 1] === 0x4d;
  if (!little && !big) return 1;
  const u16 = (at: number) =>
    at + 2 > end ? 0 : little ? (buf[at] ?? 0) | ((buf[at + 1] ?? 0) << 8) : ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
  const u32 = (at: number) => (little ? u16(at) + u16(at + 2) * 0x10000 : u16(at) * 0x10000 + u16(at + 2));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count && i < 200; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) break;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** The position of the next marker after entropy-coded data (stuffed 0xFF00 and restart markers belong to the data). */
function skipEntropyData(buf: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    const at = buf.indexOf(0xff, i);
    if (at < 0 || at + 1 >= buf.length) return buf.length;
    const next = buf[at + 1] ?? 0;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      i = at + 1;
      continue;
    }
    return at;
  }
}

export function inspectJpeg(buf: Uint8Array, limits: { maxScans?: number } = {}): JpegCheck {
  const maxScans = limits.maxScans ?? DEFAULT_MAX_SCANS;
  if (buf.length === 0) return { ok: false, reason: 'empty file' };
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return { ok: false, reason: `not a JPEG (${sniff(buf)})` };
  let pos = 2;
  let sof: { width: number; height: number; components: number; progressive: boolean; sampling: string } | null = null;
  let orientation = 1;
  let adobe = false;
  let scans = 0;
  let ended = false;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) return { ok: false, reason: `corrupt JPEG: no marker at byte ${pos}` };
    const marker = buf[pos + 1] ?? 0;
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9) {
      if (scans === 0) return { ok: false, reason: 'corrupt JPEG: ends before any image data' };
      ended = true;
      break;
    }
    const length = ((buf[pos + 2] ?? 0) << 8) | (buf[pos + 3] ?? 0);
    if (length < 2 || pos + 2 + length > buf.length) return { ok: false, reason: 'truncated JPEG (a header segment is cut short)' };
    const body = pos + 4;
    const end = pos + 2 + length;
    if (SOF_MARKERS.has(marker)) {
      if (length < 8) return { ok: false, reason: 'corrupt JPEG: short frame header' };
      const components = buf[body + 5] ?? 0;
      const sampling: string[] = [];
      for (let c = 0; c < components && body + 6 + c * 3 + 1 < end; c++) sampling.push((buf[body + 6 + c * 3 + 1] ?? 0).toString(16));
      sof = {
        sampling: sampling.join(','),
        height: ((buf[body + 1] ?? 0) << 8) | (buf[body + 2] ?? 0),
        width: ((buf[body + 3] ?? 0) << 8) | (buf[body + 4] ?? 0),
        components,
        progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
      };
    } else if (marker === 0xe1) {
      orientation = readExifOrientation(buf, body, end);
    } else if (marker === 0xee && length >= 14 && String.fromCharCode(...buf.subarray(body, body + 5)) === 'Adobe') {
      adobe = true;
    } else if (marker === 0xda) {
      // Every scan is counted, not just the first: the cost of decoding grows with each.
      scans++;
      if (scans > maxScans) {
        return { ok: false, reason: `JPEG with more than ${maxScans} scans (decoding it would cost ${maxScans}+ passes over the frame)` };
      }
      pos = skipEntropyData(buf, end);
      continue;
    }
    pos = end;
  }
  const sawScan = scans > 0;
  if (!sof) return { ok: false, reason: 'corrupt JPEG: no frame header' };
  if (!sawScan) return { ok: false, reason: 'truncated JPEG (no image data)' };
  if (sof.width === 0 || sof.height === 0) return { ok: false, reason: 'JPEG has a zero dimension' };
  if (sof.components !== 1 && sof.components !== 3) {
    return {
      ok: false,
      reason: sof.components === 4 ? 'CMYK JPEG (its colours cannot be shown faithfully)' : `JPEG with ${sof.components} components`,
    };
  }
  // The end-of-image marker, allowing for a little padding after it.
  let eoi = ended;
  for (let i = buf.length - 2; i >= Math.max(pos, buf.length - 64); i--) {
    if (buf[i] === 0xff && buf[i + 1] === 0xd9) {
      eoi = true;
      break;
    }
  }
  if (!eoi) return { ok: false, reason: 'truncated JPEG (no end-of-image marker)' };
  return { ok: true, info: { ...sof, orientation, adobe, scans } };
}
