import { describe, expect, it } from 'vitest';
import { hasInvisibleFormatChars, movieIdFromRemovedKey, movieKeys, sanitizeTitle, tombstoneSchema } from '../src/index.js';

describe('sanitizeTitle', () => {
  it.each([
    ['plain text stays', 'The Robot Dance', 'The Robot Dance'],
    ['Hebrew stays', 'הסרט של נועה', 'הסרט של נועה'],
    ['Arabic stays', 'فيلمي الأول', 'فيلمي الأول'],
    ['right-to-left override (file name spoof)', 'Movie \u202Egnp.exe', 'Movie gnp.exe'],
    ['left-to-right override', 'a\u202Db', 'ab'],
    ['embeddings and pop', '\u202Aa\u202Bb\u202Cc', 'abc'],
    ['isolates', '\u2066x\u2067y\u2068z\u2069', 'xyz'],
    ['LRM, RLM and the Arabic letter mark', '\u200Ea\u200Fb\u061Cc', 'abc'],
    ['word joiner and invisible operators', 'a\u2060b\u2061c\u2064d', 'abcd'],
    ['deprecated format controls', 'a\u206Ab\u206Fc', 'abc'],
    ['byte-order mark', '\uFEFFtitle', 'title'],
    ['interlinear annotation', 'a\uFFF9b\uFFFBc', 'abc'],
    ['joiners stay (emoji sequence)', '👩\u200D👧', '👩\u200D👧'],
    ['ZWNJ stays (Persian)', 'می\u200Cخواهم', 'می\u200Cخواهم'],
    ['control characters become spaces', 'a\u0000b\u0007c\td', 'a b c d'],
    ['line and paragraph separators become spaces', 'a\nb\u2028c\u2029d\u0085e', 'a b c d e'],
    ['white space collapses and is trimmed', '  two   words  ', 'two words'],
    ['NFC', 'e\u0301', '\u00E9'],
    ['only controls leaves nothing', '\u202E\u2066 \u200F', null],
    ['empty', '', null],
    ['null', null, null],
    ['undefined', undefined, null],
  ])('%s', (_what, input, expected) => {
    expect(sanitizeTitle(input)).toBe(expected);
  });

  it('removes every Bidi_Control code point', () => {
    const all = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
    for (const cp of all) {
      const s = `x${String.fromCodePoint(cp)}y`;
      expect(hasInvisibleFormatChars(s), cp.toString(16)).toBe(true);
      expect(sanitizeTitle(s), cp.toString(16)).toBe('xy');
    }
    expect(hasInvisibleFormatChars('plain')).toBe(false);
  });
});

describe('REMOVED tombstone', () => {
  it('lives beside the film objects and parses', () => {
    const id = '01JD2X3Y4Z5A6B7C8D9E0F1G2H';
    expect(movieKeys(id).removed).toBe(`movies/${id}/REMOVED`);
    expect(movieIdFromRemovedKey(`movies/${id}/REMOVED`)).toBe(id);
    expect(movieIdFromRemovedKey(`movies/${id}/meta.json`)).toBeNull();
    expect(movieIdFromRemovedKey('movies/../REMOVED')).toBeNull();
    expect(tombstoneSchema.safeParse({ id, removedAt: '2026-11-25T08:00:00.000Z', by: 'owner' }).success).toBe(true);
    expect(tombstoneSchema.safeParse({ id, removedAt: '2026-11-25T08:00:00.000Z', by: 'admin' }).success).toBe(false);
    expect(tombstoneSchema.safeParse({ id: '../x', removedAt: '2026-11-25T08:00:00.000Z', by: 'owner' }).success).toBe(false);
  });
});
