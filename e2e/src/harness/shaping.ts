import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Tells whether right-to-left text in a rendered picture is shaped: the text's ink is
 * compared with HarfBuzz's rendering of the same text, font and size (hb-view, Debian
 * libharfbuzz-bin, the shaper browsers use) and with the same text drawn unshaped by
 * ffmpeg's drawtext (code points left to right, each letter in its isolated form).
 */

export function haveHbView(): boolean {
  return spawnSync('hb-view', ['--version']).status === 0;
}

export interface GrayImage {
  width: number;
  height: number;
  data: Buffer;
}

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

/** The first frame of a picture or video as 8-bit grey pixels. */
export function grayImage(file: string): GrayImage {
  const probe = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  const [width, height] = probe.stdout.trim().split(',').map(Number) as [number, number];
  if (!width || !height) throw new Error(`ffprobe found no picture in ${file}: ${probe.stderr.trim()}`);
  return { width, height, data: ffmpeg(['-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']) };
}

/**
 * The text's ink within rows [top, bottom): pixels brighter than mid-grey (`light`) or
 * darker, cropped to their bounding box and scaled to w×h, as 0/1 — so two renderings
 * of different size and position can be compared.
 */
export function inkMask(img: GrayImage, rows: { top: number; bottom: number }, ink: 'light' | 'dark', w = 240, h = 40): Uint8Array {
  const on = (v: number) => (ink === 'light' ? v > 128 : v < 128);
  const top = Math.max(0, rows.top);
  const bottom = Math.min(img.height, rows.bottom);
  let x0 = img.width;
  let x1 = -1;
  let y0 = bottom;
  let y1 = -1;
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < img.width; x++) {
      if (on(img.data[y * img.width + x] as number)) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) throw new Error(`no ${ink} ink in rows ${top}–${bottom}`);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = x0 + Math.floor(((x + 0.5) * (x1 - x0 + 1)) / w);
      const sy = y0 + Math.floor(((y + 0.5) * (y1 - y0 + 1)) / h);
      out[y * w + x] = on(img.data[sy * img.width + sx] as number) ? 1 : 0;
    }
  }
  return out;
}

/** Intersection over union of two masks: 1 for the same picture, near 0 for unrelated ones. */
export function maskOverlap(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) both++;
    if (a[i] || b[i]) either++;
  }
  return either === 0 ? 0 : both / either;
}

export interface TextRendering {
  text: string;
  fontFile: string;
  size: number;
  ink: 'light' | 'dark';
}

/** HarfBuzz's rendering of the text (hb-view) as a mask. */
export function harfbuzzMask(dir: string, name: string, r: TextRendering): Uint8Array {
  const file = path.join(dir, `${name}-hb.png`);
  const [fg, bg] = r.ink === 'light' ? ['FFFFFF', '000000'] : ['000000', 'FFFFFF'];
  const hb = spawnSync(
    'hb-view',
    [
      `--font-file=${r.fontFile}`,
      `--font-size=${r.size}`,
      '--margin=8',
      `--background=${bg}`,
      `--foreground=${fg}`,
      '-O',
      'png',
      '-o',
      file,
      r.text,
    ],
    { timeout: 30_000 },
  );
  if (hb.status !== 0) throw new Error(`hb-view: ${hb.stderr.toString().trim()}`);
  const img = grayImage(file);
  return inkMask(img, { top: 0, bottom: img.height }, r.ink);
}

/** The text drawn without shaping (drawtext text_shaping=0: code points left to right, isolated letters) as a mask. */
export function unshapedMask(dir: string, name: string, r: TextRendering): Uint8Array {
  const textFile = path.join(dir, `${name}-plain.txt`);
  writeFileSync(textFile, r.text, 'utf8');
  const file = path.join(dir, `${name}-plain.png`);
  const w = r.size * [...r.text].length + 16;
  const h = r.size * 2;
  const [fg, bg] = r.ink === 'light' ? ['white', 'black'] : ['black', 'white'];
  const quoted = (v: string) => v.replace(/[\\':]/g, (c) => `\\${c}`);
  ffmpeg([
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=${bg}:s=${w}x${h}:d=1`,
    '-vf',
    `drawtext=fontfile=${quoted(r.fontFile)}:textfile=${quoted(textFile)}:expansion=none:text_shaping=0:fontsize=${r.size}:fontcolor=${fg}:x=8:y=(h-text_h)/2`,
    '-frames:v',
    '1',
    '-update',
    '1',
    file,
  ]);
  return inkMask(grayImage(file), { top: 0, bottom: h }, r.ink);
}

export interface ShapingScores {
  /** The rendering against HarfBuzz's: near 1 when shaped. */
  harfbuzz: number;
  /** The rendering against the unshaped drawing: near 1 when not shaped. */
  unshaped: number;
  /** The unshaped drawing against HarfBuzz's: how far apart the two references are. */
  referencesApart: number;
  /** For right-to-left text: code points reversed but letters isolated, against HarfBuzz's (order alone, no joining). */
  isolatedRtl: number;
}

/** Scores a rendered text line (its mask) against both references. */
export function shapingScores(dir: string, name: string, rendered: Uint8Array, r: TextRendering): ShapingScores {
  const reference = harfbuzzMask(dir, name, r);
  const plain = unshapedMask(dir, name, r);
  const isolated = unshapedMask(dir, `${name}-isolated`, { ...r, text: [...r.text].reverse().join('') });
  return {
    harfbuzz: maskOverlap(rendered, reference),
    unshaped: maskOverlap(rendered, plain),
    referencesApart: maskOverlap(plain, reference),
    isolatedRtl: maskOverlap(isolated, reference),
  };
}

/** A plain grey JPEG frame of `width`×`height` at `file`, the one frame of a title card test's film; throws with ffmpeg's reason. */
export function writeGrayFrame(file: string, width: number, height: number): void {
  const args = [
    '-nostdin',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=gray:s=${width}x${height}:d=1`,
    '-frames:v',
    '1',
    file,
  ];
  const r = spawnSync('ffmpeg', args, { timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr?.toString() || r.error?.message}`);
}
