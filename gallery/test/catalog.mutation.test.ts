// The catalog's pure decisions: which films are listed and in what order, which
// meta.json bodies are films, and how instances recognise the same notice.
import { createHash } from 'node:crypto';
import type { FilmMeta } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { buildView, compareFilms, noticeHash, parseMeta } from '../src/catalog.js';

const meta = (id: string, createdAt = '2026-06-01T10:00:00.000Z', extra: Partial<FilmMeta> = {}): FilmMeta => ({
  id,
  title: null,
  stationId: 'st-1',
  createdAt,
  durationSec: 2,
  fps: 10,
  frameCount: 20,
  width: 640,
  height: 480,
  ...extra,
});

describe('noticeHash', () => {
  it('is the first 16 hex digits of the SHA-256 of the message', () => {
    const message = '{"type":"film.added","id":"A1"}';
    expect(noticeHash(message)).toBe(createHash('sha256').update(message).digest('hex').slice(0, 16));
    expect(noticeHash(message)).toHaveLength(16);
    expect(noticeHash('a')).not.toBe(noticeHash('b'));
  });
});

describe('compareFilms', () => {
  it('newer first, by time and not by the text of the date', () => {
    expect(compareFilms(meta('A', '2026-06-01T10:00:01Z'), meta('B', '2026-06-01T10:00:00Z'))).toBe(-1000);
    expect(compareFilms(meta('A', '2026-06-01T10:00:00Z'), meta('B', '2026-06-01T10:00:01Z'))).toBe(1000);
    // Same instant written in two zones: a tie, broken by the id.
    expect(compareFilms(meta('A', '2026-06-01T12:00:00+02:00'), meta('B', '2026-06-01T10:00:00Z'))).toBe(1);
  });
  it('ties: the greater id first, equal ids equal', () => {
    expect(compareFilms(meta('A'), meta('B'))).toBe(1);
    expect(compareFilms(meta('B'), meta('A'))).toBe(-1);
    expect(compareFilms(meta('A'), meta('A'))).toBe(0);
  });
});

describe('buildView', () => {
  it('lists visible films sorted, indexes them, and keeps hidden ones by id only', () => {
    const view = buildView({
      version: 'v7',
      entries: {
        A: { etag: '1', meta: meta('A', '2026-06-01T10:00:00Z') },
        H: { etag: '2', meta: meta('H', '2026-06-01T11:00:00Z', { hidden: true }) },
        B: { etag: '3', meta: meta('B', '2026-06-01T12:00:00Z') },
        V: { etag: '5', meta: meta('V', '2026-06-01T09:00:00Z', { hidden: false }) },
        X: { etag: '4', meta: null },
      },
    });
    expect(view.version).toBe('v7');
    expect(view.films.map((f) => f.id)).toEqual(['B', 'A', 'V']);
    expect([...view.index]).toEqual([
      ['B', 0],
      ['A', 1],
      ['V', 2],
    ]);
    expect([...view.byId.keys()].sort()).toEqual(['A', 'B', 'H', 'V']);
    expect(view.byId.get('H')?.hidden).toBe(true);
  });
  it('an empty snapshot is an empty view', () => {
    const view = buildView({ version: 'v0', entries: {} });
    expect(view.films).toEqual([]);
    expect(view.byId.size).toBe(0);
    expect(view.index.size).toBe(0);
  });
});

describe('parseMeta', () => {
  it('a valid film', () => {
    expect(parseMeta('A', JSON.stringify(meta('A')))).toEqual({ meta: meta('A') });
  });
  it('says why a body is not a film', () => {
    expect(parseMeta('A', '')).toEqual({ meta: null, reason: 'not JSON' });
    expect(parseMeta('B', JSON.stringify(meta('A')))).toEqual({ meta: null, reason: 'id A does not match its key' });
    const bad = parseMeta('A', JSON.stringify({ ...meta('A'), fps: 0, width: 'wide' }));
    expect(bad.meta).toBeNull();
    expect(bad.reason).toMatch(/^fps: .+; width: .+$/);
    expect(parseMeta('A', '[]').reason).toMatch(/^: /);
  });
});
