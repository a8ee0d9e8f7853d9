import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { FilmBucket, MetaListing } from '../s3.js';
import { parseMeta, parseTombstone } from './meta.js';
import type { RemovedEntry, Snapshot, SnapshotEntry } from './snapshot.js';

export interface RefreshStats {
  pages: number;
  fetched: number;
  removed: number;
  films: number;
  ms: number;
}

export interface RefreshDeps {
  bucket: FilmBucket;
  log: Logger;
  /** The catalog's clock: versions and the time a refresh took. */
  now: () => number;
  fetchConcurrency: number;
}

export interface RefreshResult {
  snapshot: Snapshot;
  /** False when the listing matched `base` exactly (the snapshot keeps its version). */
  changed: boolean;
  stats: RefreshStats;
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

/** Sorts by time of making (readable in Redis), unique across instances by its random part. */
const newVersion = (now: number) => `${now.toString(36)}-${randomBytes(6).toString('hex')}`;

/**
 * Lists the bucket and fetches only new or changed `meta.json` (by ETag against
 * `base`; everything when `base` is null); deletions drop out. Throws when S3 fails.
 */
export async function refreshFromS3(deps: RefreshDeps, base: Snapshot | null): Promise<RefreshResult> {
  const { bucket, log, now, fetchConcurrency } = deps;
  const t0 = now();
  const { items, pages, removed: tombstones = [] } = await bucket.listMeta();
  const entries: Record<string, SnapshotEntry> = {};
  const toFetch: MetaListing[] = [];
  for (const item of items) {
    const prev = base?.entries[item.id];
    if (prev && prev.etag === item.etag) entries[item.id] = prev;
    else toFetch.push(item);
  }
  const fetched = await mapLimit(toFetch, fetchConcurrency, async (item) => ({ item, got: await bucket.getText(item.key) }));
  for (const { item, got } of fetched) {
    if (!got) continue; // deleted between listing and fetching
    const { meta, reason } = parseMeta(item.id, got.text);
    if (!meta) log.warn({ event: 'meta.invalid', id: item.id, reason }, 'ignored an invalid meta.json');
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
  const fetchedTombstones = await mapLimit(newTombstones, fetchConcurrency, async (t) => ({ t, got: await bucket.getText(t.key) }));
  for (const { t, got } of fetchedTombstones) gone[t.id] = { etag: t.etag, removedAt: got ? parseTombstone(t.id, got.text) : null };
  const tombstonesChanged = newTombstones.length > 0 || Object.keys(base?.removed ?? {}).length !== Object.keys(gone).length;
  const changed = !base || toFetch.length > 0 || removed > 0 || tombstonesChanged;
  const snapshot: Snapshot = { version: changed || !base ? newVersion(now()) : base.version, entries, removed: gone };
  const stats: RefreshStats = { pages, fetched: toFetch.length, removed, films: items.length, ms: Math.round(now() - t0) };
  log.info({ event: 'refresh.done', ...stats }, 'film list refreshed from S3');
  return { snapshot, changed, stats };
}
