import type { FilmMeta } from '@stop-motion/protocol';
import type { Logger } from '../log.js';
import type { CatalogState } from '../store.js';
import { LocalChanges } from './overlay.js';
import type { Snapshot } from './snapshot.js';
import { buildView, type CatalogView } from './view.js';

/**
 * The list this instance serves: the last snapshot it adopted (shared or its own
 * refresh), the state that came with it, its own recent changes laid over it, and
 * the view built from them, announced to listeners on every change.
 */
export class LocalCopy {
  snapshot: Snapshot | null = null;
  /** State of the local copy (its own refresh when Redis was away). */
  state: CatalogState | null = null;
  view: CatalogView | null = null;
  /** Snapshot version the view was built from. */
  private viewOf: string | null = null;
  private readonly changes = new LocalChanges();
  private readonly listeners = new Set<(view: CatalogView) => void>();

  constructor(private readonly log: Logger) {}

  adopt(snap: Snapshot, state: CatalogState, now: number): void {
    this.snapshot = snap;
    this.state = state;
    const settled = this.changes.settle(snap, now);
    if (this.viewOf !== snap.version || settled) this.rebuild();
  }

  /** A moderator's change made here: shown at once, until the shared list shows it. */
  show(meta: FilmMeta, now: number): void {
    this.changes.show(meta, now);
    this.rebuild();
  }

  /** An owner's removal made here: gone at once. */
  remove(id: string, removedAt: string, now: number): void {
    this.changes.remove(id, removedAt, now);
    this.rebuild();
  }

  /** Returns the unsubscribe. */
  onView(listener: (view: CatalogView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private rebuild(): void {
    if (!this.snapshot) return;
    this.viewOf = this.snapshot.version;
    const view = buildView(this.changes.layOver(this.snapshot));
    this.view = view;
    for (const listener of this.listeners) {
      try {
        listener(view);
      } catch (err) {
        this.log.error({ event: 'view.listener_failed', err }, 'a view listener failed');
      }
    }
  }
}
