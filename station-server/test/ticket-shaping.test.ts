import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { renderTicket, ticketLayout, ticketWidthDots } from '../src/printer/ticket.js';

/**
 * The ticket's Hebrew and Arabic lines must be shaped as the title card's are: each is
 * compared with HarfBuzz's rendering (hb-view) of the same text, font and size, and with
 * the same text drawn unshaped (code points left to right, isolated letters).
 */

const haveHbView = spawnSync('hb-view', ['--version']).status === 0;
if (!haveHbView) console.warn('ticket shaping test skipped: hb-view is missing (Debian: libharfbuzz-bin)');

interface Gray {
  width: number;
  height: number;
  data: Buffer;
}

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
  return r.stdout;
}

function gray(file: string): Gray {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const [width, height] = probe.stdout.trim().split(',').map(Number) as [number, number];
  return { width, height, data: ffmpeg(['-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']) };
}

/** Dark ink (the ticket is black on white) within rows [top, bottom), cropped to its box, scaled to w×h, as 0/1. */
function ink(img: Gray, top: number, bottom: number, dark: boolean, w = 240, h = 32): Uint8Array {
  const on = (v: number) => (dark ? v < 128 : v > 128);
  let x0 = img.width;
  let x1 = -1;
  let y0 = bottom;
  let y1 = -1;
  for (let y = Math.max(0, top); y < Math.min(img.height, bottom); y++) {
    for (let x = 0; x < img.width; x++) {
      if (on(img.data[y * img.width + x] as number)) {
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
      out[y * w + x] = on(img.data[sy * img.width + sx] as number) ? 1 : 0;
    }
  }
  return out;
}

function overlap(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) both++;
    if (a[i] || b[i]) either++;
  }
  return either === 0 ? 0 : both / either;
}

describe.skipIf(!haveHbView)('the ticket in Hebrew and Arabic', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const loaded = loadConfig({ STATION_DATA_DIR: '/tmp/unused' });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const fonts = loaded.config.printer.fonts;
  beforeAll(async () => {
    dir = await tempDir('ticket-shaping');
  });
  afterAll(async () => {
    await dir?.remove();
  });

  const cases = [
    { locale: 'ar' as const, eventName: 'مهرجان الأفلام' },
    { locale: 'he' as const, eventName: 'פסטיבל הסרטים' },
  ];
  for (const c of cases) {
    it(`${c.locale}: the event name is drawn as HarfBuzz shapes it, not letter by letter`, async () => {
      const work = path.join(dir.path, c.locale);
      const ticket = await renderTicket(
        work,
        {
          eventName: c.eventName,
          locale: c.locale,
          shortCode: 'AB12CD',
          claimUrl: 'https://films.example.org/m/x#k=y',
          posterFile: null,
          paperMm: 80,
          fonts,
        },
        { timeoutMs: 30_000 },
      );
      const layout = ticketLayout({
        width: ticketWidthDots(80),
        hasPoster: false,
        qrModules: 29,
        eventName: c.eventName,
        caption: '',
        code: 'AB12CD',
        files: { event: '', caption: '', code: '' },
        fonts,
      });
      const line = layout.texts[0];
      if (!line) throw new Error('no event line');
      const card = ink(gray(ticket.png), line.y - line.size, line.y + Math.round(line.size * 0.6), true);

      const hbFile = path.join(work, 'hb.png');
      const hb = spawnSync(
        'hb-view',
        [
          `--font-file=${fonts.bold}`,
          `--font-size=${line.size}`,
          '--margin=8',
          '--background=FFFFFF',
          '--foreground=000000',
          '-O',
          'png',
          '-o',
          hbFile,
          c.eventName,
        ],
        { timeout: 30_000 },
      );
      expect(hb.status).toBe(0);
      const hbImg = gray(hbFile);
      const reference = ink(hbImg, 0, hbImg.height, true);

      const textFile = path.join(work, 'plain.txt');
      writeFileSync(textFile, c.eventName, 'utf8');
      const plainFile = path.join(work, 'plain.png');
      const w = line.size * c.eventName.length;
      ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `color=c=white:s=${w}x${line.size * 2}:d=1`,
        '-vf',
        `drawtext=fontfile=${fonts.bold}:textfile=${textFile}:expansion=none:text_shaping=0:fontsize=${line.size}:fontcolor=black:x=8:y=(h-text_h)/2`,
        '-frames:v',
        '1',
        '-update',
        '1',
        plainFile,
      ]);
      const plainImg = gray(plainFile);
      const plain = ink(plainImg, 0, plainImg.height, true);

      const shapedLike = overlap(card, reference);
      const plainLike = overlap(card, plain);
      console.info(`${c.locale} ticket: vs HarfBuzz ${shapedLike.toFixed(2)}, vs unshaped ${plainLike.toFixed(2)}`);
      expect(shapedLike).toBeGreaterThan(0.75);
      expect(shapedLike - plainLike).toBeGreaterThan(0.3);
    }, 60_000);
  }
});
