// The big screen's pure decisions: mpv's command line, how its playlist is brought in
// line with the one on disk, and where a new film goes in the loop.
import { describe, expect, it } from 'vitest';
import { buildMpvArgs, planSync } from '../src/mpv.js';
import { insertNext, playlistEntrySchema, trimPlaylist } from '../src/playlist.js';

type Step = ReturnType<typeof planSync>[number];

function apply(actual: readonly string[], steps: readonly Step[]): string[] {
  const list = [...actual];
  for (const s of steps) {
    if (s[0] === 'append') list.push(s[1]);
    else if (s[0] === 'remove') list.splice(s[1], 1);
    else {
      const [item] = list.splice(s[1], 1);
      list.splice(s[2], 0, item as string);
    }
  }
  return list;
}

describe('buildMpvArgs', () => {
  it('is exactly the big-screen command line, extra arguments last', () => {
    expect(buildMpvArgs({ socket: '/run/mpv.sock', fullscreen: true, extraArgs: ['--vo=null', '--ao=null'] })).toEqual([
      '--idle=yes',
      '--input-ipc-server=/run/mpv.sock',
      '--loop-playlist=inf',
      '--fullscreen',
      '--no-osc',
      '--osd-level=0',
      '--prefetch-playlist=yes',
      '--image-display-duration=inf',
      '--no-terminal',
      '--no-input-default-bindings',
      '--hwdec=auto-safe',
      '--aid=auto',
      '--volume-max=100',
      '--vo=null',
      '--ao=null',
    ]);
  });
  it('windowed when not fullscreen', () => {
    const args = buildMpvArgs({ socket: '/s', fullscreen: false, extraArgs: [] });
    expect(args).toHaveLength(12);
    expect(args).not.toContain('--fullscreen');
    expect(args.at(-1)).toBe('--volume-max=100');
  });
});

describe('planSync', () => {
  it.each<[string, string[], string[], Step[]]>([
    ['empty to empty', [], [], []],
    [
      'everything goes',
      ['a', 'b', 'c'],
      [],
      [
        ['remove', 2],
        ['remove', 1],
        ['remove', 0],
      ],
    ],
    [
      'removes from the end backwards so indices stay valid',
      ['a', 'x', 'b', 'y'],
      ['a', 'b'],
      [
        ['remove', 3],
        ['remove', 1],
      ],
    ],
    ['reorders by moving', ['a', 'b', 'c'], ['c', 'a', 'b'], [['move', 2, 0]]],
    ['swaps two', ['a', 'b'], ['b', 'a'], [['move', 1, 0]]],
    [
      'reverses three',
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
      [
        ['move', 2, 0],
        ['move', 2, 1],
      ],
    ],
    [
      'appends, removes and moves together',
      ['x', 'b', 'a'],
      ['a', 'n', 'b'],
      [
        ['append', 'n'],
        ['remove', 0],
        ['move', 1, 0],
        ['move', 2, 1],
      ],
    ],
    [
      'a triple copy keeps only the first',
      ['a', 'b', 'a', 'a'],
      ['a', 'b'],
      [
        ['remove', 3],
        ['remove', 2],
      ],
    ],
  ])('%s', (_name, actual, desired, steps) => {
    expect(planSync(actual, desired)).toEqual(steps);
    expect(apply(actual, steps)).toEqual(desired);
  });
  it('does not change its input', () => {
    const actual = ['b', 'a'];
    planSync(actual, ['a', 'b', 'c']);
    expect(actual).toEqual(['b', 'a']);
  });
});

describe('insertNext', () => {
  const e = (id: string) => ({ id, file: `/films/${id}/movie.mp4` });
  const ids = (l: readonly { id: string }[]) => l.map((f) => f.id);

  it('returns a copy even when the film is already there', () => {
    const films = ['a', 'b'].map(e);
    const out = insertNext(films, 'a', e('b'));
    expect(ids(out)).toEqual(['a', 'b']);
    expect(out).not.toBe(films);
  });
  it('goes at the end when the current film is not in the list', () => {
    expect(ids(insertNext(['a', 'b'].map(e), 'gone', e('n')))).toEqual(['a', 'b', 'n']);
  });
  it('right after the current one when nothing else waits', () => {
    expect(ids(insertNext(['a', 'b', 'c'].map(e), 'b', e('n')))).toEqual(['a', 'b', 'n', 'c']);
    expect(ids(insertNext(['a', 'b', 'c'].map(e), 'a', e('n'), new Set(['c'])))).toEqual(['a', 'n', 'b', 'c']);
  });
  it('after every waiting film, also at the end of the list', () => {
    expect(ids(insertNext(['a', 'x', 'y'].map(e), 'a', e('n'), new Set(['x', 'y'])))).toEqual(['a', 'x', 'y', 'n']);
    expect(ids(insertNext(['x', 'a', 'y'].map(e), 'a', e('n'), new Set(['x', 'y'])))).toEqual(['x', 'a', 'y', 'n']);
  });
  it('does not change its input', () => {
    const films = ['a', 'b'].map(e);
    insertNext(films, 'a', e('n'));
    expect(ids(films)).toEqual(['a', 'b']);
  });
});

describe('trimPlaylist', () => {
  const e = (id: string) => ({ id, file: `/f/${id}` });
  const ids = (l: readonly { id: string }[]) => l.map((f) => f.id);
  it('keeps a list that fits, exactly at the limit too', () => {
    expect(ids(trimPlaylist(['a', 'b'].map(e), 2, new Set()))).toEqual(['a', 'b']);
    expect(ids(trimPlaylist(['a', 'b'].map(e), 3, new Set()))).toEqual(['a', 'b']);
  });
  it('drops the oldest first', () => {
    expect(ids(trimPlaylist(['a', 'b', 'c', 'd'].map(e), 2, new Set()))).toEqual(['c', 'd']);
    expect(ids(trimPlaylist(['a', 'b', 'c', 'd'].map(e), 2, new Set(['b', 'c'])))).toEqual(['b', 'c']);
  });
  it('stays over the limit rather than drop a kept film', () => {
    expect(ids(trimPlaylist(['a', 'b', 'c'].map(e), 1, new Set(['a', 'b', 'c'])))).toEqual(['a', 'b', 'c']);
    expect(ids(trimPlaylist(['a', 'b', 'c'].map(e), 0, new Set(['b'])))).toEqual(['b']);
  });
});

describe('playlistEntrySchema', () => {
  it('accepts a valid id and refuses one that could form a path', () => {
    expect(playlistEntrySchema.safeParse({ id: 'a-1', file: '/f/a-1/movie.mp4' }).success).toBe(true);
    expect(playlistEntrySchema.safeParse({ id: '../x', file: '/f' }).success).toBe(false);
    expect(playlistEntrySchema.safeParse({ id: 'a' }).success).toBe(false);
  });
});
