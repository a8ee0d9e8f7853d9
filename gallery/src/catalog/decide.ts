import type { CatalogState } from '../store.js';
import { covers, PENDING_NOTICE_MS } from './notices.js';

/** A connected cache that keeps timing out for this long is treated as down. */
export const SLOW_STORE_GRACE_MS = 5000;

/** What reading the shared cache gave. */
export type StoreRead =
  | {
      ok: true;
      state: CatalogState | null;
      /** False when the state names a snapshot that is missing, corrupt or not ours: it must be rebuilt. */
      snapshotUsable: boolean;
    }
  | {
      ok: false;
      /** The client still holds a connection (a command timed out rather than the link being down). */
      connected: boolean;
      /** Since when the cache has failed to answer. */
      troubleSince: number;
    };

/** Everything the next step of a sync depends on; times in ms of the catalog's clock. */
export interface SyncState {
  store: StoreRead;
  /** State of the local copy: what this instance last adopted or refreshed by itself. */
  local: CatalogState | null;
  /** A local copy exists, so a refresh fetches only what changed since it. */
  hasSnapshot: boolean;
  /** Notices not yet covered by a refresh: hash → when it arrived. */
  pending: ReadonlyMap<string, number>;
  /** When the last refresh from S3 failed (-Infinity: none did). */
  lastFailureAt: number;
  refreshMs: number;
  retryAfterFailureMs: number;
}

export type StaleReason = 'no-state' | 'bad-snapshot' | 'notice' | 'expired';

export type SyncDecision =
  | { action: 'nothing'; reason: 'fresh' | 'backing-off' }
  /** The cache is slow, not gone: try it again at the next sync rather than refresh alone, which every instance would do at once. */
  | { action: 'wait'; reason: 'store-slow' }
  /** Refresh from S3: `shared` under the lock and written back to the cache, else alone into the local copy. */
  | { action: 'refresh'; shared: boolean; incremental: boolean; reason: StaleReason };

/** Why the list behind `state` needs a refresh, or null when it is fresh enough. */
export function staleness(
  state: CatalogState | null,
  snapshotUsable: boolean,
  pending: ReadonlyMap<string, number>,
  refreshMs: number,
  now: number,
): StaleReason | null {
  if (!state) return 'no-state';
  if (!snapshotUsable) return 'bad-snapshot';
  for (const [hash, at] of pending) if (now - at <= PENDING_NOTICE_MS && !covers(state, hash, at)) return 'notice';
  return now - state.refreshedAt >= refreshMs ? 'expired' : null;
}

/** What the catalog does next, given what the cache answered. Pure: the Catalog carries it out. */
export function decideSync(s: SyncState, now: number): SyncDecision {
  let shared: boolean;
  let reason: StaleReason | null;
  if (s.store.ok) {
    shared = true;
    reason = staleness(s.store.state, s.store.snapshotUsable, s.pending, s.refreshMs, now);
  } else {
    if (s.store.connected && now - s.store.troubleSince < SLOW_STORE_GRACE_MS) return { action: 'wait', reason: 'store-slow' };
    // The cache is away: the local copy carries on by itself.
    shared = false;
    reason = staleness(s.local, true, s.pending, s.refreshMs, now);
  }
  if (reason === null) return { action: 'nothing', reason: 'fresh' };
  if (now - s.lastFailureAt < s.retryAfterFailureMs) return { action: 'nothing', reason: 'backing-off' };
  return { action: 'refresh', shared, incremental: s.hasSnapshot, reason };
}

/** A cold request (nothing known yet) after a sync that brought no list: keep waiting or answer 503. */
export function coldAnswer(c: {
  now: number;
  deadline: number;
  lastFailureAt: number;
  retryAfterFailureMs: number;
}): 'wait' | 'unavailable' {
  // Nothing known and S3 just failed: say so now rather than hold the visitor.
  return c.now > c.deadline || c.now - c.lastFailureAt < c.retryAfterFailureMs ? 'unavailable' : 'wait';
}
