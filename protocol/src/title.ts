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
