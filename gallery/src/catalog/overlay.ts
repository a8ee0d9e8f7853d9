import type { FilmMeta } from '@stop-motion/protocol';
import type { Snapshot } from './snapshot.js';

/** How long an own change is laid over the shared list at most (it shows there long before). */
export const LOCAL_CHANGE_MS = 60_000;

/**
 * This instance's own recent changes (a moderator's hide or unhide, an owner's
 * removal), laid over the snapshot until the snapshot shows them: the change is
 * visible here at once, before the refresh it triggered has gone round S3 and the
 * shared cache.
 */
export class LocalChanges {
  private readonly shown = new Map<string, { meta: FilmMeta; until: number }>();
  private readonly removed = new Map<string, { removedAt: string; until: number }>();
  private generation = 0;

  get size(): number {
    return this.shown.size + this.removed.size;
  }

  show(meta: FilmMeta, now: number): void {
    this.shown.set(meta.id, { meta, until: now + LOCAL_CHANGE_MS });
  }

  remove(id: string, removedAt: string, now: number): void {
    this.shown.delete(id);
    this.removed.set(id, { removedAt, until: now + LOCAL_CHANGE_MS });
  }

  /** Drops the changes `snap` already shows, and old news; true when any was dropped. */
  settle(snap: Snapshot, now: number): boolean {
    const before = this.size;
    for (const [id, change] of this.shown) {
      const seen = snap.entries[id]?.meta;
      if (change.until <= now || (seen && (seen.hidden === true) === (change.meta.hidden === true))) this.shown.delete(id);
    }
    for (const [id, change] of this.removed) if (change.until <= now || snap.removed?.[id]) this.removed.delete(id);
    return before !== this.size;
  }

  /** `snap` with the changes laid over it, under a version of its own (page caches key on it). */
  layOver(snap: Snapshot): Snapshot {
    if (this.size === 0) return snap;
    const entries = { ...snap.entries };
    for (const [id, change] of this.shown) entries[id] = { etag: entries[id]?.etag ?? '', meta: change.meta };
    const removed = { ...snap.removed };
    for (const [id, change] of this.removed) removed[id] = { etag: '', removedAt: change.removedAt };
    return { version: `${snap.version}+${++this.generation}`, entries, removed };
  }
}
