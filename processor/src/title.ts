import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INVISIBLE_FORMAT_CHARS } from '@stop-motion/protocol';
import type { TitleCard, TitleLine } from './args.js';

/**
 * Characters the title font cannot draw (emoji, pictographs, variation selectors,
 * joiners) would show as empty boxes on the big screen, so the card leaves them out.
 * The film keeps its full title in meta.json. Bidi controls are removed too: drawtext
 * shapes right-to-left text itself, and an override would show the words reversed.
 */
export function printableTitle(text: string): string {
  return text
    .replace(INVISIBLE_FORMAT_CHARS, '')
    .replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u{FE0E}|\u{FE0F}|\u{200D}|\u{20E3}|[\u{E0020}-\u{E007F}]/gu, '')
    .replace(/[\u{1F1E6}-\u{1F1FF}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A font size that keeps `text` on one line within 90% of the width (glyphs ≈ 0.6 em wide). */
export function fitFontSize(text: string, width: number, preferred: number, min: number): number {
  const length = [...text].length;
  if (length === 0) return preferred;
  const fit = Math.floor((width * 0.9) / (length * 0.6));
  return Math.max(min, Math.min(preferred, fit));
}

const cardDateFormats = new Map<string, Intl.DateTimeFormat>();

/** The film's day as YYYY-MM-DD in the event's time zone (a film made at 01:00 in Jerusalem is not yesterday's). */
export function formatCardDate(iso: string | null, timeZone = 'UTC', now: Date = new Date()): string {
  const d = iso ? new Date(iso) : now;
  const valid = Number.isNaN(d.getTime()) ? now : d;
  let format = cardDateFormats.get(timeZone);
  if (!format) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    cardDateFormats.set(timeZone, format);
  }
  return format.format(valid);
}

export interface TitleCardInput {
  eventName: string;
  title: string | null;
  stationId: string;
  date: string;
  width: number;
  height: number;
  seconds: number;
  fontFile: string;
  fontFileBold: string;
  logoFile?: string | undefined;
}

/** Writes each line to its own text file (drawtext's `textfile=`) and returns the card. */
export async function prepareTitleCard(dir: string, input: TitleCardInput): Promise<TitleCard> {
  await mkdir(dir, { recursive: true });
  const { width, height } = input;
  const hasLogo = Boolean(input.logoFile);
  const specs: Array<{ text: string; bold: boolean; preferred: number; y: number; color: string }> = [];
  const eventName = printableTitle(input.eventName);
  const title = input.title ? printableTitle(input.title) : '';
  if (eventName)
    specs.push({ text: eventName, bold: false, preferred: Math.round(height / 14), y: hasLogo ? 0.34 : 0.24, color: '0xF5C542' });
  if (title) specs.push({ text: title, bold: true, preferred: Math.round(height / 8), y: 0.52, color: 'white' });
  specs.push({ text: `${input.stationId} · ${input.date}`, bold: false, preferred: Math.round(height / 24), y: 0.84, color: '0xB8C4D0' });
  const lines: TitleLine[] = [];
  for (const [i, spec] of specs.entries()) {
    const textFile = path.join(dir, `line${i}.txt`);
    await writeFile(textFile, spec.text, 'utf8');
    lines.push({
      textFile,
      fontFile: spec.bold ? input.fontFileBold : input.fontFile,
      size: fitFontSize(spec.text, width, spec.preferred, Math.max(8, Math.round(height / 40))),
      y: spec.y,
      color: spec.color,
    });
  }
  return { seconds: input.seconds, background: '0x141B2D', lines, logoFile: input.logoFile };
}
