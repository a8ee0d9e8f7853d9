import { MAX_TITLE_LENGTH } from './manifest.js';

/**
 * Bidirectional formatting characters: embeddings and overrides (U+202A–U+202E),
 * isolates (U+2066–U+2069) and the implicit marks (U+200E, U+200F, U+061C). An override
 * in a title reverses what follows it, so "Movie\u202Egnp.exe" reads as "Movieexe.png";
 * Hebrew and Arabic titles lay out correctly without any of them.
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

// C0, DEL, C1 and the Unicode line/paragraph separators: nothing a one-line title needs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export interface SanitizedTitle {
  /** The title fit to show and to use in a file name; undefined when nothing is left. */
  title: string | undefined;
  /** Why the title was changed, one line each, fit for a log; empty when it was kept as is. */
  reasons: string[];
}

/**
 * Makes any title safe to show: bidi controls and control characters are removed
 * (a control character becomes a space, as a newline separated words), whitespace is
 * collapsed, and a title longer than MAX_TITLE_LENGTH is shortened with "…" without
 * splitting a surrogate pair. A bad title never costs the film, only the title.
 */
export function sanitizeTitle(raw: unknown): SanitizedTitle {
  const reasons: string[] = [];
  if (raw === undefined || raw === null) return { title: undefined, reasons };
  if (typeof raw !== 'string') return { title: undefined, reasons: [`title is not text (${typeof raw}); dropped`] };
  let text = raw;
  const bidi = text.match(BIDI_CONTROLS)?.length ?? 0;
  if (bidi > 0) {
    text = text.replace(BIDI_CONTROLS, '');
    reasons.push(`removed ${bidi} bidirectional control character(s)`);
  }
  const controls = text.match(CONTROL_CHARS)?.length ?? 0;
  if (controls > 0) {
    text = text.replace(CONTROL_CHARS, ' ');
    reasons.push(`removed ${controls} control character(s)`);
  }
  // Lone surrogates cannot be encoded as UTF-8 (file names, JSON consumers).
  const lone = text.match(/\p{Surrogate}/gu)?.length ?? 0;
  if (lone > 0) {
    text = text.replace(/\p{Surrogate}/gu, '');
    reasons.push(`removed ${lone} unpaired surrogate(s)`);
  }
  text = text.replace(/\s+/g, ' ').trim();
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
