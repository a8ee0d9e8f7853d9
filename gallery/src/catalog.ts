// The catalog's public face: the Catalog and what pages, admin and the wall read
// from it. The parts live in ./catalog/ (see the gallery README).
export { Catalog, type CatalogOptions } from './catalog/catalog.js';
export { coldAnswer, decideSync, type StoreRead, type SyncDecision, type SyncState, staleness } from './catalog/decide.js';
export { withRefreshLock } from './catalog/lock.js';
export { parseMeta, parseTombstone } from './catalog/meta.js';
export { noticeHash } from './catalog/notices.js';
export { type RefreshResult, type RefreshStats, refreshFromS3 } from './catalog/refresh.js';
export { parseSnapshot, type RemovedEntry, type Snapshot, type SnapshotEntry, snapshotSchema } from './catalog/snapshot.js';
export { buildView, type CatalogView, compareFilms } from './catalog/view.js';
