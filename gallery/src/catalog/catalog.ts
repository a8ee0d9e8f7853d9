// Just over 300 lines: the catalog's state and the order of reading, locking and refreshing;
// the decisions are in decide.ts, the refresh in refresh.ts, the lock in lock.ts.

import { randomBytes } from 'node:crypto';
import { FILMS_CHANNEL, type FilmMeta } from '@stop-motion/protocol';
import type { Logger } from '../log.js';
import type { FilmBucket } from '../s3.js';
import type { CacheStore, CatalogState } from '../store.js';
import { coldAnswer, decideSync, type StoreRead, type SyncDecision } from './decide.js';
import { LocalCopy } from './local-copy.js';
import { withRefreshLock } from './lock.js';
import { NoticeBook, noticeHash, parseNotice } from './notices.js';
import { type RefreshResult, type RefreshStats, refreshFromS3 } from './refresh.js';
import { parseSnapshot, type Snapshot } from './snapshot.js';
import type { CatalogView } from './view.js';

export interface CatalogOptions {
  bucket: FilmBucket;
  store: CacheStore;
  log: Logger;
  refreshSeconds: number;
  /** Channel on which instances announce a new snapshot to each other. */
  updatesChannel: string;
  /** The one clock of the catalog (tests move it): ages, grace periods, back-off, the cold wait. */
  now?: () => number;
  /** Requests check the shared state at most this often. */
  syncIntervalMs?: number;
  /** How long a cold request waits for another instance's first refresh. */
  coldWaitMs?: number;
  /** After a failed refresh, wait this long before the next attempt. */
  retryAfterFailureMs?: number;
  fetchConcurrency?: number;
}

type StoreReadWithError = StoreRead & { err?: unknown };

const unavailable = () => Object.assign(new Error('film list unavailable'), { statusCode: 503, code: 'unavailable' });

/**
 * The film list: a local copy served to every request, kept in step with a shared
 * cache. Stale-while-revalidate: a stale copy is served while exactly one instance
 * (the holder of the Redis lock) refreshes from S3, incrementally by ETag. Notices
 * on FILMS_CHANNEL make every instance catch up at once. Without Redis the local
 * copy carries on by itself; without S3 the last known list stays. What to do at
 * each sync is decided by `decideSync`; this class reads the inputs and carries it out.
 */
export class Catalog {
  private readonly options: Required<CatalogOptions>;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly store: CacheStore;
  private readonly local: LocalCopy;
  /** A shared snapshot version found unusable: not read again, rebuilt by the next refresh. */
  private rejectedVersion: string | null = null;
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  /** Since when the shared cache has failed to answer (null while it answers). */
  private storeTroubleSince: number | null = null;
  private syncing: Promise<void> | null = null;
  private readonly notices = new NoticeBook();
  private noticeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly stats = { refreshes: 0, adopted: 0, lastRefresh: null as RefreshStats | null };

  constructor(options: CatalogOptions) {
    this.options = { syncIntervalMs: 1000, coldWaitMs: 20_000, retryAfterFailureMs: 5000, fetchConcurrency: 16, now: Date.now, ...options };
    this.now = this.options.now;
    this.log = options.log;
    this.store = options.store;
    this.local = new LocalCopy(options.log);
  }

  async start(): Promise<void> {
    await this.store.subscribe([FILMS_CHANNEL, this.options.updatesChannel], (channel, message) => {
      if (channel === FILMS_CHANNEL) this.onFilmNotice(message);
      else this.requestSync();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    await this.syncing?.catch(() => {});
  }

  /** The current view; waits only when nothing is known yet (a cold start). */
  async current(): Promise<CatalogView> {
    const known = this.local.view;
    if (known) {
      this.maybeSync();
      return known;
    }
    const deadline = this.now() + this.options.coldWaitMs;
    for (;;) {
      await this.sync();
      const view = this.local.view;
      if (view) return view;
      const answer = coldAnswer({
        now: this.now(),
        deadline,
        lastFailureAt: this.lastFailureAt,
        retryAfterFailureMs: this.options.retryAfterFailureMs,
      });
      if (answer === 'unavailable') throw unavailable();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The view if there is one, without waiting. */
  peek(): CatalogView | null {
    return this.local.view;
  }

  /**
   * Called with each new view (a refresh, another instance's snapshot, a local
   * moderation change); returns the unsubscribe. A throwing listener is logged, not fatal.
   */
  onView(listener: (view: CatalogView) => void): () => void {
    return this.local.onView(listener);
  }

  /** Something changed (a notice, a moderation action): refresh soon, once across instances. */
  noteChange(hash: string = randomBytes(8).toString('hex')): void {
    this.notices.note(hash, this.now());
    this.requestSync();
  }

  private onFilmNotice(message: string): void {
    const parsed = parseNotice(message);
    if ('reason' in parsed) {
      this.log.warn({ event: 'notice.invalid', reason: parsed.reason }, 'ignored a film notice');
      return;
    }
    this.log.debug({ event: 'notice', type: parsed.notice.type, id: parsed.notice.id }, 'film notice');
    this.noteChange(noticeHash(message));
  }

  private requestSync(): void {
    this.lastSyncAt = Number.NEGATIVE_INFINITY;
    this.maybeSync();
  }

  private maybeSync(): void {
    if (this.stopped || this.syncing !== null) return;
    if (this.now() - this.lastSyncAt < this.options.syncIntervalMs) return;
    this.sync().catch((err: unknown) => this.log.error({ event: 'sync.failed', err }, 'sync failed'));
  }

  /** One sync at a time per instance; concurrent callers share it. */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.lastSyncAt = this.now();
      this.syncing = this.doSync().finally(() => {
        this.syncing = null;
        this.afterSync();
      });
    }
    return this.syncing;
  }

  private afterSync(): void {
    // A notice not yet covered by a refresh (another instance held the lock while
    // listing older data): look again shortly, until some refresh has covered it.
    if (this.stopped || this.notices.pending.size === 0 || this.noticeTimer) return;
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      this.requestSync();
    }, 250);
  }

  private decide(read: StoreReadWithError): SyncDecision {
    const now = this.now();
    this.notices.dropExpired(now);
    const decision = decideSync(
      {
        store: read,
        local: this.local.state,
        hasSnapshot: this.local.snapshot !== null,
        pending: this.notices.pending,
        lastFailureAt: this.lastFailureAt,
        refreshMs: this.options.refreshSeconds * 1000,
        retryAfterFailureMs: this.options.retryAfterFailureMs,
      },
      now,
    );
    if (!read.ok) {
      const err = (read.err as Error | undefined)?.message;
      if (decision.action === 'wait') this.log.debug({ event: 'store.slow', err }, 'cache did not answer in time');
      else this.log.debug({ event: 'store.unavailable', err }, 'cache unavailable');
    }
    return decision;
  }

  private async doSync(): Promise<void> {
    const decision = this.decide(await this.readStore());
    if (decision.action !== 'refresh') return;
    if (!decision.shared) return this.refreshAlone();
    try {
      // Not locked means another instance is refreshing: its result arrives by the next sync.
      await withRefreshLock(this.store, () => this.refreshShared());
    } catch (err) {
      // The lock could not be taken: the same rules as a failed read (slow → wait, away → alone).
      const next = this.decide(this.storeFailed(err));
      if (next.action === 'refresh') await this.refreshAlone();
    }
  }

  private storeFailed(err: unknown): StoreReadWithError {
    this.storeTroubleSince ??= this.now();
    return { ok: false, connected: this.store.healthy(), troubleSince: this.storeTroubleSince, err };
  }

  /** The shared state, adopting its snapshot when it is newer than ours; never throws. */
  private async readStore(): Promise<StoreReadWithError> {
    try {
      const state = await this.store.getState();
      let snapshotUsable = true;
      if (state && state.version !== this.local.snapshot?.version) snapshotUsable = await this.adoptFromStore(state);
      else if (state) this.local.state = state;
      this.storeTroubleSince = null;
      if (state) this.notices.coveredBy(state);
      return { ok: true, state, snapshotUsable };
    } catch (err) {
      // Connected but slow (a command timeout under load) is given a grace period; see decideSync.
      return this.storeFailed(err);
    }
  }

  /** False when the shared snapshot cannot be used (logged with the reason once per version). */
  private async adoptFromStore(state: CatalogState): Promise<boolean> {
    if (state.version === this.rejectedVersion) return false;
    const read = parseSnapshot(await this.store.getSnapshot());
    if (!read.ok) {
      this.rejectedVersion = state.version;
      this.log.warn(
        { event: 'snapshot.invalid', version: state.version, reason: read.reason },
        'ignored the shared film list; rebuilding it from S3',
      );
      return false;
    }
    if (read.snapshot.version !== state.version) return true; // written between our two reads; the next sync gets it
    this.local.adopt(read.snapshot, state, this.now());
    this.stats.adopted++;
    return true;
  }

  /**
   * This instance just changed a film (moderation): show the change here at once,
   * before the refresh it triggered has gone round S3 and the shared cache.
   */
  applyLocal(meta: FilmMeta): void {
    this.local.show(meta, this.now());
  }

  /** This instance just wrote a film's tombstone: it is gone here at once. */
  applyRemoved(id: string, removedAt: string): void {
    this.local.remove(id, removedAt, this.now());
  }

  /** Refreshes from S3 into a new state; null (logged, back-off started) when S3 failed. */
  private async refreshState(): Promise<{ result: RefreshResult; state: CatalogState } | null> {
    const startedAt = this.now();
    const covered = this.notices.soFar();
    let result: RefreshResult;
    try {
      // From our own copy: the shared one when we adopted it, and after a Redis
      // restart (the store is empty) it still saves every GET.
      result = await this.refreshFromS3(this.local.snapshot);
    } catch (err) {
      this.refreshFailed(err);
      return null;
    }
    const state = { version: result.snapshot.version, refreshedAt: this.now(), startedAt, notices: covered };
    this.local.adopt(result.snapshot, state, this.now());
    this.notices.coveredBy(state);
    return { result, state };
  }

  /** The shared cache is unreachable: carry on with the local copy, refreshing it alone. */
  private async refreshAlone(): Promise<void> {
    await this.refreshState();
  }

  /** Under the lock: refresh when still needed and share the result. */
  private async refreshShared(): Promise<void> {
    // Double-check: the previous holder may have finished between our read and our lock.
    const read = await this.readStore();
    const decision = this.decide(read);
    if (decision.action !== 'refresh') return;
    const refreshed = await this.refreshState();
    if (!refreshed || !decision.shared || !read.ok) return;
    const { result, state } = refreshed;
    const storeHasIt = read.snapshotUsable && read.state?.version === result.snapshot.version;
    try {
      await this.store.put(state, storeHasIt ? null : JSON.stringify(result.snapshot));
      if (!storeHasIt) await this.store.publish(this.options.updatesChannel, state.version);
    } catch (err) {
      this.log.warn({ event: 'store.write_failed', err: (err as Error).message }, 'could not share the refreshed list');
    }
  }

  private refreshFailed(err: unknown): void {
    this.lastFailureAt = this.now();
    const view = this.local.view;
    this.log.warn(
      { event: 'refresh.failed', err: (err as Error).message, serving: view ? view.films.length : null },
      view ? 'S3 refresh failed; serving the last known list' : 'S3 refresh failed and no list is known yet',
    );
  }

  /** Lists the bucket and fetches only new or changed `meta.json`; deletions drop out. */
  async refreshFromS3(base: Snapshot | null): Promise<RefreshResult> {
    const { bucket, fetchConcurrency } = this.options;
    const result = await refreshFromS3({ bucket, log: this.log, now: this.now, fetchConcurrency }, base);
    this.stats.refreshes++;
    this.stats.lastRefresh = result.stats;
    return result;
  }
}
