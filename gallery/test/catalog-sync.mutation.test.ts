// The catalog's sync decisions as tables: when it refreshes, alone or shared, from
// scratch or incrementally, when it waits for a slow cache, when it backs off; and
// which shared snapshots it accepts.
import { describe, expect, it } from 'vitest';
import { coldAnswer, decideSync, parseSnapshot, type StoreRead, type SyncState, staleness } from '../src/catalog.js';
import type { CatalogState } from '../src/store.js';
import { sampleMeta } from './fixtures.js';

const NOW = 10_000_000;
const REFRESH_MS = 60_000;
const state = (over: Partial<CatalogState> = {}): CatalogState => ({
  version: 'v1',
  refreshedAt: NOW - 1000,
  startedAt: NOW - 2000,
  ...over,
});
const answered = (s: CatalogState | null, snapshotUsable = true): StoreRead => ({ ok: true, state: s, snapshotUsable });
const failed = (connected: boolean, troubleSince: number): StoreRead => ({ ok: false, connected, troubleSince });
const sync = (over: Partial<SyncState>): SyncState => ({
  store: answered(state()),
  local: state(),
  hasSnapshot: true,
  pending: new Map(),
  lastFailureAt: Number.NEGATIVE_INFINITY,
  refreshMs: REFRESH_MS,
  retryAfterFailureMs: 5000,
  ...over,
});

describe('decideSync', () => {
  it.each<[string, Partial<SyncState>, ReturnType<typeof decideSync>]>([
    ['a fresh shared list: nothing', {}, { action: 'nothing', reason: 'fresh' }],
    [
      'one ms before expiry: nothing',
      { store: answered(state({ refreshedAt: NOW - REFRESH_MS + 1 })) },
      { action: 'nothing', reason: 'fresh' },
    ],
    [
      'expired exactly now: an incremental shared refresh',
      { store: answered(state({ refreshedAt: NOW - REFRESH_MS })) },
      { action: 'refresh', shared: true, incremental: true, reason: 'expired' },
    ],
    [
      'cold (no state, nothing local): a full shared refresh',
      { store: answered(null), local: null, hasSnapshot: false },
      { action: 'refresh', shared: true, incremental: false, reason: 'no-state' },
    ],
    [
      'Redis emptied (restart) under a local copy: an incremental shared refresh',
      { store: answered(null) },
      { action: 'refresh', shared: true, incremental: true, reason: 'no-state' },
    ],
    [
      'a fresh state whose snapshot is unusable: rebuilt at once',
      { store: answered(state(), false), hasSnapshot: false },
      { action: 'refresh', shared: true, incremental: false, reason: 'bad-snapshot' },
    ],
    [
      'a notice after the refresh started: refresh',
      { pending: new Map([['n1', NOW - 1000]]) },
      { action: 'refresh', shared: true, incremental: true, reason: 'notice' },
    ],
    [
      'a notice received before the refresh started: covered',
      { pending: new Map([['n1', NOW - 2001]]) },
      { action: 'nothing', reason: 'fresh' },
    ],
    [
      'a notice at the very ms the refresh started: not covered by time',
      { pending: new Map([['n1', NOW - 2000]]) },
      { action: 'refresh', shared: true, incremental: true, reason: 'notice' },
    ],
    [
      'a later notice the refreshing instance had already received: covered',
      { store: answered(state({ notices: ['n0', 'n1'] })), pending: new Map([['n1', NOW - 1000]]) },
      { action: 'nothing', reason: 'fresh' },
    ],
    [
      'a notice 120 s old is still pending',
      { store: answered(state({ startedAt: NOW - 200_000 })), pending: new Map([['n1', NOW - 120_000]]) },
      { action: 'refresh', shared: true, incremental: true, reason: 'notice' },
    ],
    [
      'a notice over 120 s old is left to the expiry',
      { store: answered(state({ startedAt: NOW - 200_000 })), pending: new Map([['n1', NOW - 120_001]]) },
      { action: 'nothing', reason: 'fresh' },
    ],
    [
      'stale, but S3 failed 4999 ms ago: back off',
      { store: answered(null), lastFailureAt: NOW - 4999 },
      { action: 'nothing', reason: 'backing-off' },
    ],
    [
      'stale, S3 failed 5000 ms ago: try again',
      { store: answered(null), lastFailureAt: NOW - 5000 },
      { action: 'refresh', shared: true, incremental: true, reason: 'no-state' },
    ],
    ['a fresh list is not refreshed just because a retry is due', { lastFailureAt: NOW - 60_000 }, { action: 'nothing', reason: 'fresh' }],
    [
      'cache connected but slow for 4999 ms: wait for it (grace)',
      { store: failed(true, NOW - 4999), local: state({ refreshedAt: 0 }) },
      { action: 'wait', reason: 'store-slow' },
    ],
    [
      'cache connected but slow for 5000 ms: treated as away, the local copy refreshes alone',
      { store: failed(true, NOW - 5000), local: state({ refreshedAt: 0 }) },
      { action: 'refresh', shared: false, incremental: true, reason: 'expired' },
    ],
    [
      'cache disconnected: no grace, the local copy decides',
      { store: failed(false, NOW), local: state({ refreshedAt: 0 }) },
      { action: 'refresh', shared: false, incremental: true, reason: 'expired' },
    ],
    ['cache disconnected and the local copy is fresh: nothing', { store: failed(false, NOW) }, { action: 'nothing', reason: 'fresh' }],
    [
      'cache disconnected on a cold start: a full refresh alone',
      { store: failed(false, NOW), local: null, hasSnapshot: false },
      { action: 'refresh', shared: false, incremental: false, reason: 'no-state' },
    ],
    [
      'cache disconnected, a notice the local copy has not covered: refresh alone',
      { store: failed(false, NOW), pending: new Map([['n1', NOW - 10]]) },
      { action: 'refresh', shared: false, incremental: true, reason: 'notice' },
    ],
    [
      'cache disconnected, stale, S3 just failed: back off',
      { store: failed(false, NOW), local: null, lastFailureAt: NOW - 1 },
      { action: 'nothing', reason: 'backing-off' },
    ],
  ])('%s', (_name, over, expected) => {
    expect(decideSync(sync(over), NOW)).toEqual(expected);
  });
});

describe('staleness', () => {
  it('names the first reason in order: no state, unusable snapshot, notice, age', () => {
    const old = state({ refreshedAt: 0 });
    const pending = new Map([['n', NOW]]);
    expect(staleness(null, false, pending, REFRESH_MS, NOW)).toBe('no-state');
    expect(staleness(old, false, pending, REFRESH_MS, NOW)).toBe('bad-snapshot');
    expect(staleness(old, true, pending, REFRESH_MS, NOW)).toBe('notice');
    expect(staleness(old, true, new Map(), REFRESH_MS, NOW)).toBe('expired');
    expect(staleness(state(), true, new Map(), REFRESH_MS, NOW)).toBeNull();
  });
});

describe('coldAnswer', () => {
  it.each<[string, { now: number; deadline: number; lastFailureAt: number }, 'wait' | 'unavailable']>([
    ['before the deadline, no failure: wait', { now: NOW, deadline: NOW + 1, lastFailureAt: Number.NEGATIVE_INFINITY }, 'wait'],
    ['at the deadline: still wait', { now: NOW, deadline: NOW, lastFailureAt: Number.NEGATIVE_INFINITY }, 'wait'],
    ['past the deadline: 503', { now: NOW + 1, deadline: NOW, lastFailureAt: Number.NEGATIVE_INFINITY }, 'unavailable'],
    ['S3 failed 4999 ms ago: 503 at once', { now: NOW, deadline: NOW + 20_000, lastFailureAt: NOW - 4999 }, 'unavailable'],
    ['S3 failed 5000 ms ago: wait', { now: NOW, deadline: NOW + 20_000, lastFailureAt: NOW - 5000 }, 'wait'],
  ])('%s', (_name, c, expected) => {
    expect(coldAnswer({ ...c, retryAfterFailureMs: 5000 })).toBe(expected);
  });
});

describe('parseSnapshot', () => {
  const film = sampleMeta('01HZZZZZZZZZZZZZZZZZZZZZZA');
  const good = { version: 'v1', entries: { [film.id]: { etag: '"e1"', meta: film }, BAD: { etag: '"e2"', meta: null } } };

  it('accepts a snapshot of ours, with or without tombstones', () => {
    expect(parseSnapshot(JSON.stringify(good))).toEqual({ ok: true, snapshot: good });
    const withRemoved = {
      ...good,
      removed: { R1: { etag: '"e3"', removedAt: '2026-06-01T10:00:00.000Z' }, R2: { etag: '"e4"', removedAt: null } },
    };
    expect(parseSnapshot(JSON.stringify(withRemoved))).toEqual({ ok: true, snapshot: withRemoved });
  });

  it.each<[string, string | null, RegExp]>([
    ['missing', null, /^missing/],
    ['not JSON', '{"version":', /^not JSON$/],
    ['JSON but not an object', '[1,2]', /^\(root\): /],
    ['no entries', JSON.stringify({ version: 'v1' }), /^entries: /],
    ['an empty version', JSON.stringify({ ...good, version: '' }), /^version: /],
    [
      'an entry without its ETag',
      JSON.stringify({ version: 'v1', entries: { [film.id]: { meta: film } } }),
      new RegExp(`^entries\\.${film.id}\\.etag: `),
    ],
    [
      'a film that is not one',
      JSON.stringify({ version: 'v1', entries: { [film.id]: { etag: '1', meta: { ...film, fps: 0 } } } }),
      new RegExp(`^entries\\.${film.id}\\.meta\\.fps: `),
    ],
    [
      'a film under another film’s key',
      JSON.stringify({ version: 'v1', entries: { OTHER: { etag: '1', meta: film } } }),
      new RegExp(`^entries\\.OTHER: holds film ${film.id}$`),
    ],
    [
      'a tombstone with a made-up date',
      JSON.stringify({ ...good, removed: { R: { etag: '1', removedAt: 'yesterday' } } }),
      /^removed\.R\.removedAt: /,
    ],
  ])('refuses %s, saying why', (_name, text, reason) => {
    const read = parseSnapshot(text);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toMatch(reason);
  });

  it('names three problems and counts the rest', () => {
    const three = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`K${i}`, { meta: null }]));
    expect(parseSnapshot(JSON.stringify({ version: 'v1', entries: three }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^entries\.K0\.etag: .*; entries\.K2\.etag: [^;]*$/),
    });
    const entries = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`K${i}`, { meta: null }]));
    const read = parseSnapshot(JSON.stringify({ version: 'v1', entries }));
    expect(read).toEqual({ ok: false, reason: expect.stringMatching(/^entries\.K0\.etag: .*; entries\.K2\.etag: [^;]*; and 2 more$/) });
  });
});
