import { describe, expect, it } from 'vitest';
import { checkFrameSequence, frameFileName, frameIndex, isFrameFileName, isValidId, movieIdSchema } from '../src/index.js';

describe('ids', () => {
  it.each(['01JD2X3Y4Z5A6B7C8D9E0F1G2H', 'station-1', 'a', 'A_b-9'])('accepts %s', (id) => {
    expect(isValidId(id)).toBe(true);
    expect(movieIdSchema.safeParse(id).success).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['parent dir', '..'],
    ['relative path', '../x'],
    ['absolute path', '/etc/passwd'],
    ['slash inside', 'a/b'],
    ['backslash', 'a\\b'],
    ['dot', 'a.b'],
    ['NUL byte', 'abc\u0000def'],
    ['leading dash (an rsync option)', '-rf'],
    ['space', 'a b'],
    ['percent-encoding', 'a%2Fb'],
    ['very long', 'a'.repeat(65)],
    ['non-ASCII', 'סרט'],
  ])('rejects %s', (_what, id) => {
    expect(isValidId(id)).toBe(false);
    expect(movieIdSchema.safeParse(id).success).toBe(false);
  });

  it('rejects values that are not strings', () => {
    for (const v of [42, null, undefined, {}, ['a']]) {
      expect(isValidId(v)).toBe(false);
      expect(movieIdSchema.safeParse(v).success).toBe(false);
    }
  });
});

describe('frame file names', () => {
  it('formats indexes with at least four digits', () => {
    expect(frameFileName(0)).toBe('0000.jpg');
    expect(frameFileName(42)).toBe('0042.jpg');
    expect(frameFileName(12345)).toBe('12345.jpg');
    expect(() => frameFileName(-1)).toThrow(RangeError);
    expect(() => frameFileName(1.5)).toThrow(RangeError);
  });

  it.each(['0000.jpg', '0001.jpg', '9999.jpg', '10000.jpg'])('accepts %s', (name) => {
    expect(isFrameFileName(name)).toBe(true);
  });

  it.each([
    '../x.jpg',
    '/etc/passwd',
    '0001.jpg/../..',
    '0001.jpg\u0000.png',
    '001.jpg',
    '0001.JPG',
    '0001.jpeg',
    '0001.png',
    ' 0001.jpg',
    '0001.jpg ',
    `${'1'.repeat(300)}.jpg`,
    '',
  ])('rejects %j', (name) => {
    expect(isFrameFileName(name)).toBe(false);
    expect(frameIndex(name)).toBeNull();
  });

  it('orders a contiguous sequence', () => {
    const result = checkFrameSequence(['0002.jpg', '0000.jpg', '0001.jpg']);
    expect(result).toEqual({ ok: true, frames: ['0000.jpg', '0001.jpg', '0002.jpg'] });
  });

  it('finds a gap, a duplicate, a non-canonical name and a stranger', () => {
    expect(checkFrameSequence(['0000.jpg', '0002.jpg'])).toEqual({ ok: false, reason: expect.stringContaining('0001.jpg is missing') });
    expect(checkFrameSequence(['0001.jpg'])).toEqual({ ok: false, reason: expect.stringContaining('0000.jpg is missing') });
    expect(checkFrameSequence(['0000.jpg', '00000.jpg'])).toEqual({ ok: false, reason: expect.stringContaining('not canonical') });
    expect(checkFrameSequence(['0000.jpg', 'notes.txt'])).toEqual({ ok: false, reason: expect.stringContaining('not a frame file name') });
  });
});
