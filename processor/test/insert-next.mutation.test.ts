// Where a new film goes when nothing is on screen, in a list longer than two.
import { describe, expect, it } from 'vitest';
import { insertNext } from '../src/playlist.js';

describe('insertNext with nothing on screen', () => {
  const e = (id: string) => ({ id, file: `/films/${id}/movie.mp4` });
  it('appends at the very end, whatever waits', () => {
    expect(insertNext(['a', 'b', 'c', 'd'].map(e), null, e('n')).map((f) => f.id)).toEqual(['a', 'b', 'c', 'd', 'n']);
    expect(insertNext(['a', 'b', 'c'].map(e), null, e('n'), new Set(['c'])).map((f) => f.id)).toEqual(['a', 'b', 'c', 'n']);
  });
});
