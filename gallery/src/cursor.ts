import type { FilmMeta } from '@stop-motion/protocol';
import { type CatalogView, compareFilms } from './catalog.js';

/**
 * An opaque cursor: the creation time (base 36 ms) and id of the last film shown.
 * Nine base-36 digits reach the year 5000, so a valid cursor is always a real
 * date; anything longer or otherwise shaped is refused before it is used.
 */
export const CURSOR_PATTERN = /^([0-9a-z]{1,9})\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/;

/** Route schema for `?cursor=&limit=`: a malformed cursor is a 400, never a 500 or a cache entry. */
export const pageQuerySchema = {
  type: 'object',
  properties: {
    cursor: { type: 'string', maxLength: 80, pattern: `^(?:${CURSOR_PATTERN.source.slice(1, -1)})?$` },
    limit: { type: 'string', maxLength: 8 },
    lang: { type: 'string', maxLength: 16 },
  },
} as const;

export function encodeCursor(f: FilmMeta): string {
  return `${Date.parse(f.createdAt).toString(36)}.${f.id}`;
}

export function decodeCursor(c: string): { t: number; id: string } | null {
  const m = CURSOR_PATTERN.exec(c);
  if (!m?.[1] || !m[2]) return null;
  const t = Number.parseInt(m[1], 36);
  return Number.isSafeInteger(t) && !Number.isNaN(new Date(t).getTime()) ? { t, id: m[2] } : null;
}

/**
 * Where the page after the cursor starts (binary search in the newest-first order).
 * Every cursor, made up or real, comes down to one of `films.length + 1` positions;
 * pages are cached by position, so unique cursor strings cannot multiply them.
 */
export function startOf(view: CatalogView, cursor: string | undefined): number {
  const c = cursor ? decodeCursor(cursor) : null;
  if (!c) return 0;
  const films = view.films;
  const probe = { createdAt: new Date(c.t).toISOString(), id: c.id } as FilmMeta;
  let lo = 0;
  let hi = films.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareFilms(films[mid] as FilmMeta, probe) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The page boundary at or before a position: what the HTML list renders and caches. */
export const pageStartOf = (position: number, pageSize: number): number => Math.floor(position / pageSize) * pageSize;

/** `limit` films from `start`, and the cursor of the next page. */
export function pageAt(view: CatalogView, start: number, limit: number): { films: FilmMeta[]; next: string | null } {
  const slice = view.films.slice(start, start + limit);
  const last = slice[slice.length - 1];
  return { films: slice, next: last && start + limit < view.films.length ? encodeCursor(last) : null };
}

/** Films after the cursor, and the next cursor. */
export function pageOf(view: CatalogView, cursor: string | undefined, limit: number): { films: FilmMeta[]; next: string | null } {
  return pageAt(view, startOf(view, cursor), limit);
}
