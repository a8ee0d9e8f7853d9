import { describe, expect, it } from 'vitest';
import { fixTitle, MAX_TITLE_LENGTH, manifestV1Schema, tombstoneSchema } from '../src/index.js';

describe('fixTitle', () => {
  it.each([
    ['a plain title', 'My film', 'My film'],
    ['Hebrew', 'הסרט שלי', 'הסרט שלי'],
    ['Arabic with Latin', 'فيلمي Robot', 'فيلمي Robot'],
    ['an emoji', 'Cat 🐱', 'Cat 🐱'],
    ['hostile markup (escaping is the renderer’s job)', '<b>x</b>', '<b>x</b>'],
  ])('keeps %s', (_what, raw, title) => {
    expect(fixTitle(raw)).toEqual({ title, reasons: [] });
  });

  it.each([
    ['a right-to-left override', 'Movie\u202Egnp.exe', 'Moviegnp.exe'],
    ['every embedding and override', '\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee', 'abcde'],
    ['isolates', '\u2066a\u2067b\u2068c\u2069', 'abc'],
    ['marks', 'a\u200Eb\u200Fc\u061Cd', 'abcd'],
  ])('removes %s', (_what, raw, title) => {
    const out = fixTitle(raw);
    expect(out.title).toBe(title);
    expect(out.reasons).toEqual([expect.stringContaining('direction or format control')]);
  });

  it('turns control characters into spaces and says so', () => {
    expect(fixTitle('first\nsecond\u0000third\u0085\u2028end')).toEqual({
      title: 'first second third end',
      reasons: ['removed 4 control character(s)'],
    });
  });

  it(`shortens a title longer than ${MAX_TITLE_LENGTH} to fit, with an ellipsis`, () => {
    const out = fixTitle('x'.repeat(500));
    expect(out.title).toBe(`${'x'.repeat(MAX_TITLE_LENGTH - 1)}…`);
    expect(out.title?.length).toBe(MAX_TITLE_LENGTH);
    expect(out.reasons).toEqual(['shortened from 500 to 120 characters']);
  });

  it('never splits a surrogate pair when shortening', () => {
    const out = fixTitle('🐱'.repeat(100));
    expect(out.title?.length).toBeLessThanOrEqual(MAX_TITLE_LENGTH);
    expect(out.title).toMatch(/^(🐱)+…$/u);
  });

  it('drops a title with nothing printable left, and an unpaired surrogate', () => {
    expect(fixTitle('\u202E\n ')).toEqual({
      title: undefined,
      reasons: [
        'removed 1 direction or format control character(s)',
        'removed 1 control character(s)',
        'nothing printable was left; the title was dropped',
      ],
    });
    expect(fixTitle('a\uD800b')).toEqual({ title: 'ab', reasons: ['removed 1 unpaired surrogate(s)'] });
    expect(fixTitle(undefined)).toEqual({ title: undefined, reasons: [] });
    expect(fixTitle(42)).toMatchObject({ title: undefined, reasons: [expect.stringContaining('not text')] });
  });
});

describe('manifest titles are left to the sanitiser', () => {
  const base = {
    format: 'stop-motion-package',
    version: 1,
    id: '01JD2X3Y4Z5A6B7C8D9E0F1G2H',
    stationId: 'station-1',
    createdAt: '2026-11-25T08:00:00.000Z',
    finishedAt: '2026-11-25T08:01:00.000Z',
    fps: 10,
    width: 320,
    height: 240,
    publish: 'public',
    frames: [{ file: '0000.jpg', sha256: 'a'.repeat(64) }],
  };
  it.each([
    ['a newline', 'a\nb'],
    ['500 characters', 'x'.repeat(500)],
    ['a bidi override', 'a\u202Eb'],
  ])('accepts a title with %s', (_what, title) => {
    expect(manifestV1Schema.safeParse({ ...base, title }).success).toBe(true);
  });
  it('still refuses a title that is not text', () => {
    expect(manifestV1Schema.safeParse({ ...base, title: 7 }).success).toBe(false);
  });
});

describe('removed tombstone', () => {
  it('accepts what an owner removal writes and nothing looser', () => {
    const t = { id: '01JD2X3Y4Z5A6B7C8D9E0F1G2H', removedAt: '2026-11-25T08:00:00.000Z', by: 'owner' };
    expect(tombstoneSchema.parse(t)).toEqual(t);
    expect(tombstoneSchema.safeParse({ ...t, by: 'admin' }).success).toBe(false);
    expect(tombstoneSchema.safeParse({ ...t, id: '../x' }).success).toBe(false);
  });
});
