import { MAX_TITLE_LENGTH } from './manifest.js';

/**
 * Titles are typed by children and operators and shown on the title card, the
 * website, in page titles, link previews and download file names. Invisible
 * direction and format characters can make such text show something other than
 * what it says (U+202E turns `Movie\u202Egnp.exe` into "Movieexe.png"), so they are
 * removed before a title is shown or used as a name. Joiners (U+200C/U+200D) stay:
 * Persian words and emoji sequences need them.
 */

/**
 * Bidi_Control (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069), the invisible
 * operators and word joiner (U+2060–U+2064), the deprecated format controls
 * (U+206A–U+206F), the byte-order mark (U+FEFF) and interlinear annotation
 * marks (U+FFF9–U+FFFB).
 */
export const INVISIBLE_FORMAT_CHARS = /[\p{Bidi_Control}\u2060-\u2064\u206A-\u206F\uFEFF\uFFF9-\uFFFB]/gu;

/** Control characters and line/paragraph separators: a title is one line. */
const LINE_BREAKING = /[\p{Cc}\u2028\u2029\u0085]/gu;

/**
 * The title as it may be shown: Unicode NFC, direction and format controls
 * removed, control characters and line breaks turned into spaces, runs of white
 * space collapsed, trimmed; null when nothing visible is left.
 */
export function sanitizeTitle(title: string | null | undefined): string | null {
  if (typeof title !== 'string') return null;
  const clean = title.normalize('NFC').replace(INVISIBLE_FORMAT_CHARS, '').replace(LINE_BREAKING, ' ').replace(/\s+/gu, ' ').trim();
  return clean.length > 0 ? clean : null;
}

/** True when the text carries a character `sanitizeTitle` removes. */
export function hasInvisibleFormatChars(text: string): boolean {
  return new RegExp(INVISIBLE_FORMAT_CHARS.source, 'u').test(text);
}

/** A title made fit to show, with why it changed. */
export interface FixedTitle {
  /** The title fit to show and to use in a file name; undefined when nothing is left. */
  title: string | undefined;
  /** Why the title was changed, one line each, fit for a log; empty when it was kept as is. */
  reasons: string[];
}

/**
 * The processor's way in: a title from a package, however bad, costs only the title,
 * never the film. Direction and format controls go, control characters become
 * spaces, unpaired surrogates (not encodable as UTF-8) go, and a title longer than
 * MAX_TITLE_LENGTH is shortened with "…" without splitting a surrogate pair. Each
 * change is named for the log.
 */
export function fixTitle(raw: unknown): FixedTitle {
  const reasons: string[] = [];
  if (raw === undefined || raw === null) return { title: undefined, reasons };
  if (typeof raw !== 'string') return { title: undefined, reasons: [`title is not text (${typeof raw}); dropped`] };
  let text = raw.normalize('NFC');
  const format = text.match(INVISIBLE_FORMAT_CHARS)?.length ?? 0;
  if (format > 0) {
    text = text.replace(INVISIBLE_FORMAT_CHARS, '');
    reasons.push(`removed ${format} direction or format control character(s)`);
  }
  const controls = text.match(LINE_BREAKING)?.length ?? 0;
  if (controls > 0) {
    text = text.replace(LINE_BREAKING, ' ');
    reasons.push(`removed ${controls} control character(s)`);
  }
  const lone = text.match(/\p{Surrogate}/gu)?.length ?? 0;
  if (lone > 0) {
    text = text.replace(/\p{Surrogate}/gu, '');
    reasons.push(`removed ${lone} unpaired surrogate(s)`);
  }
  text = text.replace(/\s+/gu, ' ').trim();
  // The limit counts UTF-16 units, as zod's max() on meta.json does; a pair is never split.
  if (text.length > MAX_TITLE_LENGTH) {
    const before = [...text].length;
    let kept = '';
    for (const point of text) {
      if (kept.length + point.length > MAX_TITLE_LENGTH - 1) break;
      kept += point;
    }
    text = `${kept.trimEnd()}…`;
    reasons.push(`shortened from ${before} to ${[...text].length} characters`);
  }
  if (text === '') {
    if (raw !== '') reasons.push('nothing printable was left; the title was dropped');
    return { title: undefined, reasons };
  }
  return { title: text, reasons };
}
