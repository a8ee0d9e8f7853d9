// Names that become paths and keys: frame files, ids, checksums and the S3 layout.
import { describe, expect, it } from 'vitest';
import {
  checkFrameSequence,
  FILMS_CHANNEL,
  filmMetaSchema,
  filmNoticeSchema,
  frameFileName,
  frameIndex,
  idSchema,
  movieIdFromMetaKey,
  movieIdFromRemovedKey,
  movieKeys,
  sha256HexSchema,
  tombstoneSchema,
  ULID_PATTERN,
} from '../src/index.js';

const firstMessage = (r: { success: boolean; error?: { issues: Array<{ message: string }> } }) => r.error?.issues[0]?.message;

describe('frame names', () => {
  it('the highest index has nine digits; one more is out of range', () => {
    expect(frameFileName(999_999_999)).toBe('999999999.jpg');
    expect(() => frameFileName(1_000_000_000)).toThrow('frame index out of range: 1000000000');
    expect(() => frameFileName(-1)).toThrow('frame index out of range: -1');
    expect(() => frameFileName(1.5)).toThrow(RangeError);
  });
  it('frameIndex reads every digit', () => {
    expect(frameIndex('12345.jpg')).toBe(12345);
    expect(frameIndex('999999999.jpg')).toBe(999_999_999);
    expect(frameIndex('0000.jpg')).toBe(0);
    expect(frameIndex('12345.png')).toBeNull();
  });
  it('says which frame appears twice or is missing', () => {
    expect(checkFrameSequence(['0000.jpg', '0001.jpg', '0001.jpg'])).toEqual({ ok: false, reason: 'frame 0001.jpg appears twice' });
    expect(checkFrameSequence(['0000.jpg', '0002.jpg'])).toEqual({ ok: false, reason: 'frames are not contiguous: 0001.jpg is missing' });
    expect(checkFrameSequence(['0001.jpg'])).toEqual({ ok: false, reason: 'frames are not contiguous: 0000.jpg is missing' });
    expect(checkFrameSequence(['00000.jpg'])).toEqual({ ok: false, reason: 'frame name is not canonical: 00000.jpg' });
    expect(checkFrameSequence([])).toEqual({ ok: true, frames: [] });
    expect(checkFrameSequence(['0001.jpg', '0000.jpg'])).toEqual({ ok: true, frames: ['0000.jpg', '0001.jpg'] });
  });
  it('quotes a bad name cut to 80 characters', () => {
    const long = `${'x'.repeat(100)}.jpg`;
    expect(checkFrameSequence([long])).toEqual({ ok: false, reason: `not a frame file name: "${'x'.repeat(80)}"` });
  });
});

describe('ids and checksums', () => {
  it('explains a bad id', () => {
    expect(firstMessage(idSchema.safeParse('a'.repeat(65)))).toBe('id is longer than 64 characters');
    expect(firstMessage(idSchema.safeParse('a.b'))).toBe(
      'id must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-", starting with a letter or digit',
    );
  });
  it('ULIDs are 26 Crockford base32 characters, nothing around them', () => {
    const ulid = '01JD2X3Y4Z5A6B7C8D9E0F1G2H';
    expect(ULID_PATTERN.test(ulid)).toBe(true);
    expect(ULID_PATTERN.test(`x${ulid}`)).toBe(false);
    expect(ULID_PATTERN.test(`${ulid}x`)).toBe(false);
    expect(ULID_PATTERN.test(ulid.slice(1))).toBe(false);
    expect(ULID_PATTERN.test('01JD2X3Y4Z5A6B7C8D9E0F1G2I')).toBe(false); // I is not in the alphabet
  });
  it('a SHA-256 is exactly 64 lowercase hex digits', () => {
    const hex = 'ab'.repeat(32);
    expect(sha256HexSchema.safeParse(hex).success).toBe(true);
    expect(sha256HexSchema.safeParse(`0${hex}`).success).toBe(false);
    expect(sha256HexSchema.safeParse(`${hex}0`).success).toBe(false);
    expect(sha256HexSchema.safeParse(hex.toUpperCase()).success).toBe(false);
    expect(firstMessage(sha256HexSchema.safeParse('x'))).toBe('must be a lowercase hex SHA-256');
  });
});

describe('S3 layout and notices', () => {
  it('every object of a film under movies/<id>/', () => {
    expect(movieKeys('A1')).toEqual({
      prefix: 'movies/A1/',
      video: 'movies/A1/movie.mp4',
      poster: 'movies/A1/poster.jpg',
      preview: 'movies/A1/preview.mp4',
      meta: 'movies/A1/meta.json',
      removed: 'movies/A1/REMOVED',
      refused: 'movies/A1/REFUSED',
    });
  });
  it('reads the id from a REMOVED key only', () => {
    expect(movieIdFromRemovedKey('movies/A1/REMOVED')).toBe('A1');
    expect(movieIdFromRemovedKey('x/movies/A1/REMOVED')).toBeNull();
    expect(movieIdFromRemovedKey('movies/A1/REMOVED.bak')).toBeNull();
    expect(movieIdFromRemovedKey('movies/A1/meta.json')).toBeNull();
  });
  it('a tombstone names the film, when and that its owner removed it', () => {
    const t = { id: 'A1', removedAt: '2026-06-01T12:00:00+02:00', by: 'owner' };
    expect(tombstoneSchema.parse(t)).toEqual(t);
    expect(tombstoneSchema.safeParse({ ...t, by: 'moderator' }).success).toBe(false);
    expect(tombstoneSchema.safeParse({ id: 'A1', by: 'owner' }).success).toBe(false);
  });
  it('reads the id from a meta.json key only', () => {
    expect(movieIdFromMetaKey('movies/A1/meta.json')).toBe('A1');
    expect(movieIdFromMetaKey('x/movies/A1/meta.json')).toBeNull();
    expect(movieIdFromMetaKey('movies/A1/meta.json.bak')).toBeNull();
    expect(movieIdFromMetaKey('movies/../meta.json')).toBeNull();
  });
  it('the channel name is shared by processor and galleries', () => {
    expect(FILMS_CHANNEL).toBe('stop-motion:films');
  });
  it('film meta accepts times with an offset', () => {
    const meta = {
      id: 'A1',
      stationId: 's1',
      createdAt: '2026-06-01T12:00:00+02:00',
      durationSec: 1,
      fps: 10,
      frameCount: 10,
      width: 2,
      height: 2,
    };
    expect(filmMetaSchema.parse(meta)).toEqual(meta);
  });
  it.each(['film.added', 'film.hidden', 'film.unhidden', 'film.removed'])('notice %s, with an offset time', (type) => {
    const notice = { type, id: 'A1', at: '2026-06-01T12:00:00+02:00' };
    expect(filmNoticeSchema.parse(notice)).toEqual(notice);
  });
  it('refuses an unknown notice', () => {
    expect(filmNoticeSchema.safeParse({ type: '', id: 'A1' }).success).toBe(false);
  });
});
