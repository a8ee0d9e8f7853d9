import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '@stop-motion/e2e';
import { MAX_TITLE_LENGTH } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderArgs } from '../src/args.js';
import { DEFAULT_FONT, DEFAULT_FONT_BOLD } from '../src/config.js';
import { prepareTitleCard } from '../src/title.js';

/**
 * A title typed on the station's on-screen keyboard must come out on the big screen's
 * title card as a reader of that language would write it: Hebrew right to left, Arabic
 * right to left with its letters joined. The card's title line is compared with
 * HarfBuzz's rendering of the same text (hb-view, the shaper browsers use) and with
 * the text drawn unshaped (letters in isolated form, left to right): it must look like
 * the first and not like the second.
 */

const haveHbView = spawnSync('hb-view', ['--version']).status === 0;
if (!haveHbView) console.warn('title shaping test skipped: hb-view is missing (Debian: libharfbuzz-bin)');

type KeyPress = { kind: 'char'; text: string } | { kind: 'space' } | { kind: 'backspace' };
interface Keyboard {
  LAYOUTS: Record<string, { rows: string[][] }>;
  applyKey(text: string, key: KeyPress, max: number): string;
}

/** The station UI's keyboard module itself, so the title is what its keys type. */
async function keyboard(): Promise<Keyboard> {
  const file = path.resolve(import.meta.dirname, '../../station-ui/src/features/finish/keyboard.ts');
  return (await import(pathToFileURL(file).href)) as Keyboard;
}

/** Types `keys` (" " is the space bar) on the layout of `locale`; every key must be on it. */
async function typed(locale: 'he' | 'ar', keys: string[]): Promise<string> {
  const kb = await keyboard();
  const onLayout = new Set(kb.LAYOUTS[locale]?.rows.flat());
  let text = '';
  for (const key of keys) {
    if (key !== ' ' && !onLayout.has(key)) throw new Error(`${key} is not a key of the ${locale} layout`);
    text = kb.applyKey(text, key === ' ' ? { kind: 'space' } : { kind: 'char', text: key }, MAX_TITLE_LENGTH);
  }
  return text;
}

interface Gray {
  width: number;
  height: number;
  data: Buffer;
}

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The first frame of a picture or video as 8-bit grey pixels. */
function gray(file: string, width: number, height: number): Gray {
  const data = ffmpeg(['-i', file, '-frames:v', '1', '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
  return { width, height, data };
}

function size(file: string): { width: number; height: number } {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  const [width, height] = r.stdout.trim().split(',').map(Number);
  return { width: width as number, height: height as number };
}

/** The ink (pixels brighter than the middle) within rows [top, bottom), cropped to its bounding box and scaled to w×h, as 0/1. */
function ink(img: Gray, top: number, bottom: number, w = 240, h = 40): Uint8Array {
  let x0 = img.width;
  let x1 = -1;
  let y0 = bottom;
  let y1 = -1;
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < img.width; x++) {
      if ((img.data[y * img.width + x] as number) > 128) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) throw new Error('no text found');
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = x0 + Math.floor(((x + 0.5) * (x1 - x0 + 1)) / w);
      const sy = y0 + Math.floor(((y + 0.5) * (y1 - y0 + 1)) / h);
      out[y * w + x] = (img.data[sy * img.width + sx] as number) > 128 ? 1 : 0;
    }
  }
  return out;
}

/** Intersection over union of two ink masks: 1 for the same picture. */
function overlap(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) both++;
    if (a[i] || b[i]) either++;
  }
  return either === 0 ? 0 : both / either;
}

describe.skipIf(!haveHbView)('the typed title on the rendered title card', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('title-shaping');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  /** The card as the processor renders it (a one-frame film), its title line as ink. */
  async function cardTitle(name: string, title: string): Promise<{ ink: Uint8Array; size: number }> {
    const work = path.join(dir.path, name);
    await mkdir(path.join(work, 'frames'), { recursive: true });
    const width = 1280;
    const height = 720;
    ffmpeg(['-f', 'lavfi', '-i', `color=c=gray:s=${width}x${height}:d=1`, '-frames:v', '1', path.join(work, 'frames', '000000.jpg')]);
    const card = await prepareTitleCard(path.join(work, 'card'), {
      eventName: '',
      title,
      stationId: 'st-1',
      date: '2026-12-02',
      width,
      height,
      seconds: 0.5,
      fontFile: DEFAULT_FONT,
      fontFileBold: DEFAULT_FONT_BOLD,
    });
    const output = path.join(work, 'movie.mp4');
    const render = spawnSync(
      'ffmpeg',
      buildRenderArgs({
        framesPattern: path.join(work, 'frames', '%06d.jpg'),
        frameCount: 1,
        fps: 10,
        width,
        height,
        title: card,
        encoder: { preset: 'ultrafast', crf: 10, threads: 1 },
        output,
      }),
      { timeout: 120_000 },
    );
    if (render.status !== 0) throw new Error(`render failed: ${render.stderr.toString()}`);
    const line = card.lines[0];
    if (!line) throw new Error('the card has no title line');
    expect(line.y).toBeCloseTo(0.52);
    // The title's band: well clear of the station/date line at 0.84.
    const img = gray(output, width, height);
    const centre = Math.round(height * line.y);
    return { ink: ink(img, centre - line.size, centre + line.size), size: line.size };
  }

  /** HarfBuzz's rendering of the same text in the same font and size, white on black. */
  function harfbuzz(name: string, text: string, fontSize: number): Uint8Array {
    const file = path.join(dir.path, `${name}-hb.png`);
    const r = spawnSync(
      'hb-view',
      [
        `--font-file=${DEFAULT_FONT_BOLD}`,
        `--font-size=${fontSize}`,
        '--margin=8',
        '--background=000000',
        '--foreground=FFFFFF',
        '-O',
        'png',
        '-o',
        file,
        text,
      ],
      { timeout: 30_000 },
    );
    if (r.status !== 0) throw new Error(`hb-view: ${r.stderr.toString()}`);
    const s = size(file);
    return ink(gray(file, s.width, s.height), 0, s.height);
  }

  /** The same text drawn without shaping: code points left to right, each letter in its isolated form. */
  function unshaped(name: string, text: string, fontSize: number): Uint8Array {
    const textFile = path.join(dir.path, `${name}-plain.txt`);
    writeFileSync(textFile, text, 'utf8');
    const file = path.join(dir.path, `${name}-plain.png`);
    const w = fontSize * text.length;
    const h = fontSize * 2;
    const font = DEFAULT_FONT_BOLD.replace(/[\\':]/g, (c) => `\\${c}`);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `color=c=black:s=${w}x${h}:d=1`,
      '-vf',
      `drawtext=fontfile=${font}:textfile=${textFile}:expansion=none:text_shaping=0:fontsize=${fontSize}:fontcolor=white:x=8:y=(h-text_h)/2`,
      '-frames:v',
      '1',
      '-update',
      '1',
      file,
    ]);
    return ink(gray(file, w, h), 0, h);
  }

  const cases = [
    // «فيلم الفيل» (the elephant film), with the «لا» key's neighbour letters joining on both sides.
    { locale: 'ar' as const, keys: ['ف', 'ي', 'ل', 'م', ' ', 'ا', 'ل', 'ف', 'ي', 'ل'], expected: 'فيلم الفيل' },
    // «הפיל שלי» (my elephant): no joining, but right to left, with final forms typed as keys.
    { locale: 'he' as const, keys: ['ה', 'פ', 'י', 'ל', ' ', 'ש', 'ל', 'י'], expected: 'הפיל שלי' },
  ];

  for (const c of cases) {
    it(`a ${c.locale} title reads right to left${c.locale === 'ar' ? ' with its letters joined' : ''}`, async () => {
      const title = await typed(c.locale, c.keys);
      expect(title).toBe(c.expected);
      const card = await cardTitle(c.locale, title);
      const reference = harfbuzz(c.locale, title, card.size);
      const plain = unshaped(c.locale, title, card.size);
      const shapedLike = overlap(card.ink, reference);
      const plainLike = overlap(plain, reference);
      const cardLikePlain = overlap(card.ink, plain);
      console.info(
        `${c.locale}: card vs HarfBuzz ${shapedLike.toFixed(2)}, unshaped vs HarfBuzz ${plainLike.toFixed(2)}, card vs unshaped ${cardLikePlain.toFixed(2)}`,
      );
      expect(shapedLike).toBeGreaterThan(0.8);
      expect(shapedLike - plainLike).toBeGreaterThan(0.4);
      expect(shapedLike - cardLikePlain).toBeGreaterThan(0.4);
      if (c.locale === 'ar') {
        // Right to left but every letter isolated: order alone is not enough, the letters must join.
        const isolated = unshaped('ar-isolated', [...title].reverse().join(''), card.size);
        const isolatedLike = overlap(isolated, reference);
        console.info(`ar: isolated letters right to left vs HarfBuzz ${isolatedLike.toFixed(2)}`);
        expect(shapedLike - isolatedLike).toBeGreaterThan(0.2);
      }
    }, 60_000);
  }
});
