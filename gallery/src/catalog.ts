import { createHash, randomBytes } from 'node:crypto';
import { FILMS_CHANNEL, type FilmMeta, filmMetaSchema, filmNoticeSchema, sanitizeTitle, tombstoneSchema } from '@stop-motion/protocol';
import type { Logger } from './log.js';
import type { FilmBucket, MetaListing } from './s3.js';
import type { CacheStore, CatalogState } from './store.js';

/** One `meta.json` as last fetched; `meta` is null when the file was not a valid film. */
export interface SnapshotEntry {
  etag: string;
  meta: FilmMeta | null;
}

/** A `REMOVED` tombstone as last listed; `removedAt` is null when its body was not valid (the key alone decides). */
export interface RemovedEntry {
  etag: string;
  removedAt: string | null;
}

export interface Snapshot {
  version: string;
  entries: Record<string, SnapshotEntry>;
  /** Films their owners removed (absent in snapshots written before tombstones existed). */
  removed?: Record<string, RemovedEntry>;
}

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

export interface RefreshStats {
  pages: number;
  fetched: number;
  removed: number;
  films: number;
  ms: number;
}

export interface CatalogOptions {
  bucket: FilmBucket;
  store: CacheStore;
  log: Logger;
  refreshSeconds: number;
  /** Channel on which instances announce a new snapshot to each other. */
  updatesChannel: string;
  now?: () => number;
  /** Requests check the shared state at most this often. */
  syncIntervalMs?: number;
  /** How long a cold request waits for another instance's first refresh. */
  coldWaitMs?: number;
  /** After a failed refresh, wait this long before the next attempt. */
  retryAfterFailureMs?: number;
  fetchConcurrency?: number;
}

const LOCK_TTL_MS = 30_000;
const PENDING_NOTICE_MS = 120_000;
/** A connected cache that keeps timing out for this long is treated as down. */
const SLOW_STORE_GRACE_MS = 5000;

/**
 * A refresh covers a notice when it started listing after the notice arrived here,
 * or when the refreshing instance had itself received that notice by then (every
 * instance gets the same broadcast; comparing clocks across hosts alone would make
 * each of them refresh again).
 */
/** Identifies one notice message across instances (they all receive the same bytes). */
export function noticeHash(message: string): string {
  return createHash('sha256').update(message).digest('hex').slice(0, 16);
}

function covers(state: CatalogState, hash: string, at: number): boolean {
  return state.startedAt > at || (state.notices?.includes(hash) ?? false);
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

/** Parses a `meta.json` body; null (with the reason) when it is not a film the gallery may show. */
export function parseMeta(id: string, text: string): { meta: FilmMeta | null; reason?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { meta: null, reason: 'not JSON' };
  }
  const parsed = filmMetaSchema.safeParse(json);
  if (!parsed.success) return { meta: null, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  if (parsed.data.id !== id) return { meta: null, reason: `id ${parsed.data.id} does not match its key` };
  // Direction controls would spoof the page and the download name: gone before anything shows the title.
  const { title, ...rest } = parsed.data;
  const clean = sanitizeTitle(title);
  return { meta: clean === null ? (title === undefined ? rest : { ...rest, title: null }) : { ...rest, title: clean } };
}

/** The `removedAt` of a tombstone body, or null when it is not one (the key still counts). */
export function parseTombstone(id: string, text: string): string | null {
  try {
    const parsed = tombstoneSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.id === id ? parsed.data.removedAt : null;
  } catch {
    return null;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const newVersion = () => `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;

/**
 * The film list: a local copy served to every request, kept in step with a shared
 * cache. Stale-while-revalidate: a stale copy is served while exactly one instance
 * (the holder of the Redis lock) refreshes from S3, incrementally by ETag. Notices
 * on FILMS_CHANNEL make every instance catch up at once. Without Redis the local
 * copy carries on by itself; without S3 the last known list stays.
 */
export class Catalog {
  private readonly o: Required<Omit<CatalogOptions, 'now'>> & { now: () => number };
  private snapshot: Snapshot | null = null;
  private view: CatalogView | null = null;
  /** Snapshot version the view was built from. */
  private viewOf: string | null = null;
  /** Our own recent moderation changes, laid over the snapshot until it shows them. */
  private overlay = new Map<string, { meta: FilmMeta; until: number }>();
  /** Our own recent owner removals, laid over the snapshot until it lists their tombstones. */
  private removedOverlay = new Map<string, { removedAt: string; until: number }>();
  private overlayGen = 0;
  /** State of the local copy (its own refresh when Redis was away). */
  private localState: CatalogState | null = null;
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  /** Since when the shared cache has failed to answer (null while it answers). */
  private storeTroubleSince: number | null = null;
  private syncing: Promise<void> | null = null;
  /** Changes announced but not yet covered by a refresh: notice hash → when it arrived. */
  private pending = new Map<string, number>();
  /** Recently received notices, recorded in the state of the next refresh. */
  private recent: Array<{ hash: string; at: number }> = [];
  private noticeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly viewListeners = new Set<(view: CatalogView) => void>();
  readonly stats = { refreshes: 0, adopted: 0, lastRefresh: null as RefreshStats | null };

  constructor(options: CatalogOptions) {
    this.o = {
      syncIntervalMs: 1000,
      coldWaitMs: 20_000,
      retryAfterFailureMs: 5000,
      fetchConcurrency: 16,
      now: Date.now,
      ...options,
    };
  }

  private get log() {
    return this.o.log;
  }

  async start(): Promise<void> {
    await this.o.store.subscribe([FILMS_CHANNEL, this.o.updatesChannel], (channel, message) => {
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
    if (this.view) {
      this.maybeSync();
      return this.view;
    }
    const deadline = Date.now() + this.o.coldWaitMs;
    for (;;) {
      await this.sync();
      if (this.view) return this.view;
      // Nothing known and S3 just failed: say so now rather than hold the visitor.
      if (Date.now() > deadline || this.o.now() - this.lastFailureAt < this.o.retryAfterFailureMs) {
        throw Object.assign(new Error('film list unavailable'), { statusCode: 503, code: 'unavailable' });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The view if there is one, without waiting. */
  peek(): CatalogView | null {
    return this.view;
  }

  /**
   * Called with each new view (a refresh, another instance's snapshot, a local
   * moderation change); returns the unsubscribe. A throwing listener is logged, not fatal.
   */
  onView(listener: (view: CatalogView) => void): () => void {
    this.viewListeners.add(listener);
    return () => this.viewListeners.delete(listener);
  }

  private emitView(): void {
    if (!this.view) return;
    for (const listener of this.viewListeners) {
      try {
        listener(this.view);
      } catch (err) {
        this.log.error({ event: 'view.listener_failed', err }, 'a view listener failed');
      }
    }
  }

  /** Something changed (a notice, a moderation action): refresh soon, once across instances. */
  noteChange(hash: string = randomBytes(8).toString('hex')): void {
    const at = this.o.now();
    this.pending.set(hash, at);
    this.recent.push({ hash, at });
    if (this.recent.length > 100) this.recent.shift();
    this.requestSync();
  }

  private onFilmNotice(message: string): void {
    let parsed: ReturnType<typeof filmNoticeSchema.safeParse>;
    try {
      parsed = filmNoticeSchema.safeParse(JSON.parse(message));
    } catch {
      this.log.warn({ event: 'notice.invalid' }, 'ignored a notice that is not JSON');
      return;
    }
    if (!parsed.success) {
      this.log.warn({ event: 'notice.invalid' }, 'ignored a notice that does not match the schema');
      return;
    }
    this.log.debug({ event: 'notice', type: parsed.data.type, id: parsed.data.id }, 'film notice');
    this.noteChange(noticeHash(message));
  }

  private requestSync(): void {
    this.lastSyncAt = Number.NEGATIVE_INFINITY;
    this.maybeSync();
  }

  private maybeSync(): void {
    if (this.stopped || this.syncing !== null) return;
    if (this.o.now() - this.lastSyncAt < this.o.syncIntervalMs) return;
    this.sync().catch((err: unknown) => this.log.error({ event: 'sync.failed', err }, 'sync failed'));
  }

  /** One sync at a time per instance; concurrent callers share it. */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.lastSyncAt = this.o.now();
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
    if (this.stopped || this.pending.size === 0 || this.noticeTimer) return;
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      this.requestSync();
    }, 250);
  }

  private isStale(state: CatalogState | null): boolean {
    // A notice no refresh could cover (S3 away for long) is left to the normal expiry.
    for (const [hash, at] of this.pending) if (this.o.now() - at > PENDING_NOTICE_MS) this.pending.delete(hash);
    if (!state) return true;
    for (const [hash, at] of this.pending) if (!covers(state, hash, at)) return true;
    return this.o.now() - state.refreshedAt >= this.o.refreshSeconds * 1000;
  }

  private coverNotice(state: CatalogState): void {
    for (const [hash, at] of this.pending) if (covers(state, hash, at)) this.pending.delete(hash);
  }

  /** Notices this instance has received so far: a refresh starting now covers them. */
  private noticesSoFar(): string[] {
    return this.recent.map((n) => n.hash);
  }

  private async doSync(): Promise<void> {
    const store = this.o.store;
    let state: CatalogState | null;
    try {
      state = await store.getState();
      if (state && state.version !== this.snapshot?.version) await this.adoptFromStore(state);
      else if (state) this.localState = state;
      this.storeTroubleSince = null;
    } catch (err) {
      // Connected but slow (a command timeout under load): try again at the next sync
      // rather than refreshing alone, which every instance would do at once; only
      // when it stays that way is it treated like an outage.
      this.storeTroubleSince ??= this.o.now();
      if (this.o.store.healthy() && this.o.now() - this.storeTroubleSince < SLOW_STORE_GRACE_MS) {
        this.log.debug({ event: 'store.slow', err: (err as Error).message }, 'cache did not answer in time');
        return;
      }
      return this.syncWithoutStore(err);
    }
    if (state) this.coverNotice(state);
    if (!this.isStale(state)) return;
    if (this.o.now() - this.lastFailureAt < this.o.retryAfterFailureMs) return;
    await this.refreshUnderLock();
  }

  private async adoptFromStore(state: CatalogState): Promise<void> {
    const text = await this.o.store.getSnapshot();
    if (!text) return;
    const snap = JSON.parse(text) as Snapshot;
    if (snap.version !== state.version) return; // written between our two reads; the next sync gets it
    this.adopt(snap, state);
    this.stats.adopted++;
  }

  private adopt(snap: Snapshot, state: CatalogState): void {
    this.snapshot = snap;
    this.localState = state;
    const before = this.overlay.size + this.removedOverlay.size;
    for (const [id, o] of this.overlay) {
      const seen = snap.entries[id]?.meta;
      // The shared list has caught up with our own change (or it is old news): drop it.
      if (o.until <= this.o.now() || (seen && (seen.hidden === true) === (o.meta.hidden === true))) this.overlay.delete(id);
    }
    for (const [id, o] of this.removedOverlay) if (o.until <= this.o.now() || snap.removed?.[id]) this.removedOverlay.delete(id);
    if (this.viewOf !== snap.version || before !== this.overlay.size + this.removedOverlay.size) this.rebuild();
  }

  private rebuild(): void {
    if (!this.snapshot) return;
    this.viewOf = this.snapshot.version;
    if (this.overlay.size === 0 && this.removedOverlay.size === 0) {
      this.view = buildView(this.snapshot);
    } else {
      const entries = { ...this.snapshot.entries };
      for (const [id, o] of this.overlay) entries[id] = { etag: entries[id]?.etag ?? '', meta: o.meta };
      const removed = { ...this.snapshot.removed };
      for (const [id, o] of this.removedOverlay) removed[id] = { etag: '', removedAt: o.removedAt };
      this.view = buildView({ version: `${this.snapshot.version}+${++this.overlayGen}`, entries, removed });
    }
    this.emitView();
  }

  /**
   * This instance just changed a film (moderation): show the change here at once,
   * before the refresh it triggered has gone round S3 and the shared cache.
   */
  applyLocal(meta: FilmMeta): void {
    this.overlay.set(meta.id, { meta, until: this.o.now() + 60_000 });
    this.rebuild();
  }

  /** This instance just wrote a film's tombstone: it is gone here at once. */
  applyRemoved(id: string, removedAt: string): void {
    this.overlay.delete(id);
    this.removedOverlay.set(id, { removedAt, until: this.o.now() + 60_000 });
    this.rebuild();
  }

  /** The shared cache is unreachable: carry on with the local copy, refreshing it alone. */
  private async syncWithoutStore(err: unknown): Promise<void> {
    this.log.debug({ event: 'store.unavailable', err: (err as Error).message }, 'cache unavailable');
    if (!this.isStale(this.localState)) return;
    if (this.o.now() - this.lastFailureAt < this.o.retryAfterFailureMs) return;
    const startedAt = this.o.now();
    const covered = this.noticesSoFar();
    try {
      const { snapshot } = await this.refreshFromS3(this.snapshot);
      const state = { version: snapshot.version, refreshedAt: this.o.now(), startedAt, notices: covered };
      this.adopt(snapshot, state);
      this.coverNotice(state);
    } catch (e) {
      this.refreshFailed(e);
    }
  }

  private refreshFailed(err: unknown): void {
    this.lastFailureAt = this.o.now();
    this.log.warn(
      { event: 'refresh.failed', err: (err as Error).message, serving: this.view ? this.view.films.length : null },
      this.view ? 'S3 refresh failed; serving the last known list' : 'S3 refresh failed and no list is known yet',
    );
  }

  private async refreshUnderLock(): Promise<void> {
    const store = this.o.store;
    const token = randomBytes(16).toString('hex');
    let locked: boolean;
    try {
      locked = await store.tryLock(token, LOCK_TTL_MS);
    } catch (err) {
      this.storeTroubleSince ??= this.o.now();
      if (this.o.store.healthy() && this.o.now() - this.storeTroubleSince < SLOW_STORE_GRACE_MS) return;
      return this.syncWithoutStore(err);
    }
    if (!locked) return; // another instance is refreshing; its result arrives by the next sync
    const keepAlive = setInterval(() => {
      store.extendLock(token, LOCK_TTL_MS).catch(() => {});
    }, LOCK_TTL_MS / 3);
    try {
      // Double-check: the previous holder may have finished between our read and our lock.
      const state = await store.getState();
      if (state && state.version !== this.snapshot?.version) await this.adoptFromStore(state);
      if (state) this.coverNotice(state);
      if (!this.isStale(state)) return;
      const startedAt = this.o.now();
      const covered = this.noticesSoFar();
      // Start from the shared snapshot when ours is behind it, else from our own copy
      // (after a Redis restart the store is empty but our copy still saves every GET).
      const base = this.snapshot;
      let result: { snapshot: Snapshot; changed: boolean };
      try {
        result = await this.refreshFromS3(base);
      } catch (err) {
        this.refreshFailed(err);
        return;
      }
      const next: CatalogState = {
        version: result.snapshot.version,
        refreshedAt: this.o.now(),
        startedAt,
        notices: covered,
      };
      const storeHasIt = state?.version === result.snapshot.version;
      this.adopt(result.snapshot, next);
      this.coverNotice(next);
      try {
        await store.put(next, storeHasIt ? null : JSON.stringify(result.snapshot));
        if (!storeHasIt) await store.publish(this.o.updatesChannel, next.version);
      } catch (err) {
        this.log.warn({ event: 'store.write_failed', err: (err as Error).message }, 'could not share the refreshed list');
      }
    } finally {
      clearInterval(keepAlive);
      await store.unlock(token).catch(() => {});
    }
  }

  /** Lists the bucket and fetches only new or changed `meta.json`; deletions drop out. */
  async refreshFromS3(base: Snapshot | null): Promise<{ snapshot: Snapshot; changed: boolean }> {
    const t0 = performance.now();
    const { items, pages, removed: tombstones = [] } = await this.o.bucket.listMeta();
    const entries: Record<string, SnapshotEntry> = {};
    const toFetch: MetaListing[] = [];
    for (const item of items) {
      const prev = base?.entries[item.id];
      if (prev && prev.etag === item.etag) entries[item.id] = prev;
      else toFetch.push(item);
    }
    const fetched = await mapLimit(toFetch, this.o.fetchConcurrency, async (item) => {
      const got = await this.o.bucket.getText(item.key);
      return { item, got };
    });
    for (const { item, got } of fetched) {
      if (!got) continue; // deleted between listing and fetching
      const { meta, reason } = parseMeta(item.id, got.text);
      if (!meta) this.log.warn({ event: 'meta.invalid', id: item.id, reason }, 'ignored an invalid meta.json');
      // The listing's ETag is kept: it is what the next listing is compared with.
      entries[item.id] = { etag: item.etag, meta };
    }
    const listed = new Set(items.map((i) => i.id));
    let removed = 0;
    for (const id of Object.keys(base?.entries ?? {})) if (!listed.has(id)) removed++;
    // Tombstones: fetched once each (by ETag) for their date; the key alone already hides the film.
    const gone: Record<string, RemovedEntry> = {};
    const newTombstones = tombstones.filter((t) => {
      const prev = base?.removed?.[t.id];
      if (prev && prev.etag === t.etag) gone[t.id] = prev;
      return !(prev && prev.etag === t.etag);
    });
    const fetchedTombstones = await mapLimit(newTombstones, this.o.fetchConcurrency, async (t) => ({
      t,
      got: await this.o.bucket.getText(t.key),
    }));
    for (const { t, got } of fetchedTombstones) gone[t.id] = { etag: t.etag, removedAt: got ? parseTombstone(t.id, got.text) : null };
    const tombstonesChanged = newTombstones.length > 0 || Object.keys(base?.removed ?? {}).length !== Object.keys(gone).length;
    const changed = !base || toFetch.length > 0 || removed > 0 || tombstonesChanged;
    const snapshot: Snapshot = { version: changed || !base ? newVersion() : base.version, entries, removed: gone };
    const stats: RefreshStats = {
      pages,
      fetched: toFetch.length,
      removed,
      films: items.length,
      ms: Math.round(performance.now() - t0),
    };
    this.stats.refreshes++;
    this.stats.lastRefresh = stats;
    this.log.info({ event: 'refresh.done', ...stats }, 'film list refreshed from S3');
    return { snapshot, changed };
  }
}
