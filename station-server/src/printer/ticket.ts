import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Locale, sanitizeTitle } from '@stop-motion/protocol';
import { PDFDocument } from 'pdf-lib';
import QRCode from 'qrcode';
import { runChild } from './child.js';

/**
 * The claim ticket: event name, a poster frame, the QR code to the family's page and
 * the six-character code, drawn as one grey picture at the printer's dot width and
 * wrapped in a one-page PDF (what every CUPS queue takes). Text goes through ffmpeg's
 * drawtext with text shaping, as the big screen's title card does: Hebrew and Arabic
 * come out right to left and Arabic letters joined, with no text engine of our own.
 */

/** Receipt printers print 203 dots per inch: 72 mm of an 80 mm roll, 48 mm of a 58 mm roll. */
export function ticketWidthDots(paperMm: 58 | 80): number {
  return paperMm === 80 ? 576 : 384;
}

const CAPTIONS: Record<Locale, { scan: string; bigScreen: string }> = {
  en: { scan: 'Scan to find your film', bigScreen: 'Your film plays on the big screen' },
  he: { scan: 'סרקו כדי למצוא את הסרט שלכם', bigScreen: 'הסרט שלכם יוצג על המסך הגדול' },
  ar: { scan: 'امسحوا الرمز لتجدوا فيلمكم', bigScreen: 'سيُعرض فيلمكم على الشاشة الكبيرة' },
};

export function ticketCaption(locale: Locale, hasQr: boolean): string {
  const c = CAPTIONS[locale] ?? CAPTIONS.en;
  return hasQr ? c.scan : c.bigScreen;
}

export interface TicketText {
  /** A UTF-8 file drawtext reads, so the text is never part of the filter string. */
  textFile: string;
  fontFile: string;
  size: number;
  /** Vertical centre in pixels. */
  y: number;
}

export interface TicketLayout {
  width: number;
  height: number;
  poster: { x: number; y: number; width: number; height: number } | null;
  qr: { x: number; y: number; size: number } | null;
  texts: TicketText[];
}

/** A size that keeps one line of `text` inside `width` (glyphs are about 0.6 em wide). */
export function fitSize(text: string, width: number, preferred: number, min: number): number {
  const n = [...text].length;
  if (n === 0) return preferred;
  return Math.max(min, Math.min(preferred, Math.floor((width * 0.92) / (n * 0.6))));
}

export interface LayoutInput {
  width: number;
  hasPoster: boolean;
  /** Modules across the QR code, quiet zone included; null for no QR code. */
  qrModules: number | null;
  eventName: string;
  caption: string;
  code: string;
  files: { event: string; caption: string; code: string };
  fonts: { regular: string; bold: string; mono: string };
}

/** Where everything goes on the ticket, top to bottom. Pure. */
export function ticketLayout(i: LayoutInput): TicketLayout {
  const w = i.width;
  const u = w / 576;
  const margin = Math.round(20 * u);
  const inner = w - 2 * margin;
  const texts: TicketText[] = [];
  let y = margin;
  if (i.eventName) {
    const size = fitSize(i.eventName, inner, Math.round(38 * u), Math.round(18 * u));
    texts.push({ textFile: i.files.event, fontFile: i.fonts.bold, size, y: y + Math.round(size * 0.7) });
    y += Math.round(size * 1.4) + margin;
  }
  let poster: TicketLayout['poster'] = null;
  if (i.hasPoster) {
    const height = Math.round((inner * 9) / 16 / 2) * 2;
    poster = { x: margin, y, width: inner, height };
    y += height + margin;
  }
  const captionSize = fitSize(i.caption, inner, Math.round(28 * u), Math.round(14 * u));
  texts.push({ textFile: i.files.caption, fontFile: i.fonts.regular, size: captionSize, y: y + Math.round(captionSize * 0.7) });
  y += Math.round(captionSize * 1.4);
  let qr: TicketLayout['qr'] = null;
  if (i.qrModules) {
    // Whole dots per module: a thermal head cannot print half a dot, and a scanner wants square modules.
    const scale = Math.max(1, Math.floor((inner * 0.75) / i.qrModules));
    const size = i.qrModules * scale;
    qr = { x: Math.round((w - size) / 2), y, size };
    y += size;
  }
  const codeSize = Math.round(80 * u);
  texts.push({ textFile: i.files.code, fontFile: i.fonts.mono, size: codeSize, y: y + Math.round(codeSize * 0.7) });
  y += Math.round(codeSize * 1.4) + margin;
  return { width: w, height: Math.round(y / 2) * 2, poster, qr, texts };
}

/** Escapes a value for a filter option (level 1) and then for the filtergraph (level 2). */
export function escapeFilterValue(value: string): string {
  const level1 = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return level1.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

function drawtext(t: TicketText): string {
  return [
    `drawtext=fontfile=${escapeFilterValue(t.fontFile)}`,
    `textfile=${escapeFilterValue(t.textFile)}`,
    'expansion=none',
    'text_shaping=1',
    `fontsize=${t.size}`,
    'fontcolor=black',
    'x=(w-text_w)/2',
    `y=${t.y}-text_h/2`,
  ].join(':');
}

/** ffmpeg arguments that draw the ticket as one grey PNG. Pure. */
export function ticketArgs(spec: { layout: TicketLayout; posterFile: string | null; qrFile: string | null; output: string }): string[] {
  const { layout } = spec;
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  args.push('-f', 'lavfi', '-i', `color=c=white:s=${layout.width}x${layout.height}:d=1`);
  const graph: string[] = [];
  let last = '0:v';
  let input = 1;
  if (layout.poster && spec.posterFile) {
    const p = layout.poster;
    args.push('-i', spec.posterFile);
    graph.push(
      `[${input}:v]scale=${p.width}:${p.height}:force_original_aspect_ratio=decrease,` +
        `pad=${p.width}:${p.height}:(ow-iw)/2:(oh-ih)/2:color=white[poster]`,
      `[${last}][poster]overlay=${p.x}:${p.y}[withposter]`,
    );
    last = 'withposter';
    input++;
  }
  if (layout.qr && spec.qrFile) {
    const q = layout.qr;
    args.push('-i', spec.qrFile);
    graph.push(`[${input}:v]scale=${q.size}:${q.size}:flags=neighbor[qr]`, `[${last}][qr]overlay=${q.x}:${q.y}[withqr]`);
    last = 'withqr';
    input++;
  }
  graph.push(`[${last}]${[...layout.texts.map(drawtext), 'format=gray'].join(',')}[out]`);
  args.push(
    '-filter_complex',
    graph.join(';'),
    '-map',
    '[out]',
    '-frames:v',
    '1',
    '-update',
    '1',
    '-f',
    'image2',
    '-c:v',
    'png',
    spec.output,
  );
  return args;
}

export interface TicketInput {
  eventName: string;
  locale: Locale;
  shortCode: string;
  /** The family's page; null prints no QR code (private films, no gallery). */
  claimUrl: string | null;
  posterFile: string | null;
  paperMm: 58 | 80;
  fonts: { regular: string; bold: string; mono: string };
}

/** Draws the ticket into `dir` (ticket.png, ticket.pdf) and returns both paths. */
export async function renderTicket(
  dir: string,
  input: TicketInput,
  opts: { timeoutMs: number; signal?: AbortSignal; ffmpeg?: string },
): Promise<{ png: string; pdf: string; width: number; height: number }> {
  await mkdir(dir, { recursive: true });
  const width = ticketWidthDots(input.paperMm);
  const files = { event: path.join(dir, 'event.txt'), caption: path.join(dir, 'caption.txt'), code: path.join(dir, 'code.txt') };
  const eventName = sanitizeTitle(input.eventName) ?? '';
  const caption = ticketCaption(input.locale, input.claimUrl !== null);
  await writeFile(files.event, eventName, 'utf8');
  await writeFile(files.caption, caption, 'utf8');
  await writeFile(files.code, input.shortCode, 'utf8');
  let qrFile: string | null = null;
  let qrModules: number | null = null;
  if (input.claimUrl) {
    const margin = 4;
    qrModules = QRCode.create(input.claimUrl, { errorCorrectionLevel: 'M' }).modules.size + 2 * margin;
    qrFile = path.join(dir, 'qr.png');
    await QRCode.toFile(qrFile, input.claimUrl, { type: 'png', errorCorrectionLevel: 'M', margin, scale: 1 });
  }
  const layout = ticketLayout({
    width,
    hasPoster: input.posterFile !== null,
    qrModules,
    eventName,
    caption,
    code: input.shortCode,
    files,
    fonts: input.fonts,
  });
  const png = path.join(dir, 'ticket.png');
  // Low priority, as the strip thumbnails: a ticket must never slow a capture or the live view.
  const r = await runChild(
    'nice',
    ['-n', '10', opts.ffmpeg ?? 'ffmpeg', ...ticketArgs({ layout, posterFile: input.posterFile, qrFile, output: png })],
    {
      timeoutMs: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
  if (r.code !== 0) throw new Error(`ffmpeg could not draw the ticket (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  const pdf = path.join(dir, 'ticket.pdf');
  await writeFile(pdf, await ticketPdf(await readFile(png), layout.width, layout.height, input.paperMm));
  return { png, pdf, width: layout.width, height: layout.height };
}

/** One page as wide as the roll, as long as the ticket, the picture at 203 dpi centred on it. */
export async function ticketPdf(png: Uint8Array, width: number, height: number, paperMm: 58 | 80): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle('Claim ticket');
  doc.setCreator('stop-motion station');
  const image = await doc.embedPng(png);
  const pt = (dots: number) => (dots / 203) * 72;
  const pageWidth = (paperMm / 25.4) * 72;
  const page = doc.addPage([pageWidth, pt(height)]);
  page.drawImage(image, { x: (pageWidth - pt(width)) / 2, y: 0, width: pt(width), height: pt(height) });
  return doc.save();
}
