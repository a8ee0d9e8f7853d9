import type { FilmMeta } from '@stop-motion/protocol';
import type { Snapshot } from './snapshot.js';

/** What pages read: built once per snapshot, never per request. */
export interface CatalogView {
  version: string;
  /** Visible films, newest first. */
  films: readonly FilmMeta[];
  /** Every valid film by id, hidden ones included (for moderation and owner removal). */
  byId: ReadonlyMap<string, FilmMeta>;
  /** Position of each visible film in `films`. */
  index: ReadonlyMap<string, number>;
  /** Films removed by their owners: id → when (never shown, whatever meta.json says). */
  removed: ReadonlyMap<string, string | null>;
}

/** Newest first; the id breaks ties so the order (and cursors) are stable. */
export function compareFilms(a: FilmMeta, b: FilmMeta): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  if (ta !== tb) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function buildView(snapshot: Snapshot): CatalogView {
  const byId = new Map<string, FilmMeta>();
  const films: FilmMeta[] = [];
  const removed = new Map<string, string | null>();
  for (const [id, r] of Object.entries(snapshot.removed ?? {})) removed.set(id, r.removedAt);
  for (const entry of Object.values(snapshot.entries)) {
    if (!entry.meta || removed.has(entry.meta.id)) continue;
    byId.set(entry.meta.id, entry.meta);
    if (!entry.meta.hidden) films.push(entry.meta);
  }
  films.sort(compareFilms);
  const index = new Map<string, number>();
  for (const [i, f] of films.entries()) index.set(f.id, i);
  return { version: snapshot.version, films, byId, index, removed };
}
