import type { FilmMeta } from '@stop-motion/protocol';
import type { CatalogView } from './catalog.js';

/** The station prints and shows the last six characters of a film's id (a ULID). */
export const SHORT_CODE_LENGTH = 6;

/**
 * What a family typed, as a code: any case, spaces and dashes ignored, and the
 * letters people read for digits (O for 0, I and L for 1) taken as Crockford's
 * base 32 does. Null when it cannot be a code at all.
 */
export function normalizeCode(input: string): string | null {
  const code = input
    .normalize('NFKC')
    .replace(/[\s\-‐-―_.]/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return new RegExp(`^[0-9A-HJKMNP-TV-Z]{${SHORT_CODE_LENGTH}}$`).test(code) ? code : null;
}

/**
 * The listed films with this code, newest first. The list holds no hidden or
 * removed film, and private films never reach the bucket, so a code reveals
 * nothing the list would not show.
 */
export function filmsWithCode(view: CatalogView, code: string): FilmMeta[] {
  return view.films.filter((f) => f.id.endsWith(code));
}
