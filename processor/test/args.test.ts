import { describe, expect, it } from 'vitest';
import {
  buildIdleSlideArgs,
  buildNormaliseArgs,
  buildProbeFramesArgs,
  buildRenderArgs,
  escapeFilterValue,
  orientationFilter,
  outputSize,
  pixFmtForSampling,
  type RenderPlan,
  titleFrameCount,
  withParentDeathSignal,
} from '../src/args.js';
import { ProgressParser, parseProgressBlock } from '../src/ffmpeg.js';
import { buildMpvArgs, planSync } from '../src/mpv.js';
import { insertNext, trimPlaylist } from '../src/playlist.js';
import { fitFontSize, printableTitle } from '../src/title.js';
import { backoffMs } from '../src/upload.js';

const basePlan: RenderPlan = {
  framesPattern: '/d/frames/%06d.jpg',
  frameCount: 30,
  fps: 10,
  width: 1280,
  height: 720,
  title: null,
  encoder: { preset: 'veryfast', crf: 20, threads: 2 },
  output: '/d/out/movie.mp4',
  poster: '/d/out/poster.jpg',
  preview: null,
  soundtrack: null,
};
const preview = { output: '/d/out/preview.mp4', width: 480, height: 270, frames: 30, preset: 'veryfast' };

const card = {
  seconds: 4,
  background: '0x141B2D',
  lines: [{ textFile: "/d/it's:a,b[c];\\x.txt", fontFile: '/f/DejaVuSans.ttf', size: 60, y: 0.5, color: 'white' }],
};

function valueAfter(args: string[], flag: string, nth = 0): string | undefined {
  let seen = 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) {
      if (seen === nth) return args[i + 1];
      seen++;
    }
  }
  return undefined;
}

describe('escapeFilterValue', () => {
  it.each([
    ['/plain/path.txt', '/plain/path.txt'],
    ['a:b', 'a\\\\:b'],
    ["it's", "it\\\\\\'s"],
    ['a,b', 'a\\,b'],
    ['[x];y', '\\[x\\]\\;y'],
    ['back\\slash', 'back\\\\\\\\slash'],
  ])('%j → %j', (input, expected) => {
    expect(escapeFilterValue(input)).toBe(expected);
  });
});

describe('outputSize', () => {
  it.each([
    [1280, 720, 1920, 1080, 1280, 720],
    [1920, 1080, 1920, 1080, 1920, 1080],
    [3840, 2160, 1920, 1080, 1920, 1080],
    [8000, 8000, 1920, 1080, 1080, 1080],
    [641, 481, 1920, 1080, 640, 480],
    [1080, 1920, 1920, 1080, 608, 1080],
    [3, 3, 1920, 1080, 2, 2],
  ])('%i×%i within %i×%i → %i×%i', (w, h, mw, mh, ew, eh) => {
    expect(outputSize(w, h, mw, mh)).toEqual({ width: ew, height: eh });
  });
});

describe('buildRenderArgs', () => {
  it('never uses a shell form and always asks for progress without stdin', () => {
    const args = buildRenderArgs(basePlan);
    expect(args.slice(0, 2)).toEqual(['-hide_banner', '-nostdin']);
    expect(valueAfter(args, '-progress')).toBe('pipe:1');
    expect(args.every((a) => typeof a === 'string')).toBe(true);
  });

  it.each([
    ['frames only', { ...basePlan }, 1, 'format=yuv420p[all];[all]split=2[out][p]'],
    ['with a title', { ...basePlan, title: card }, 2, '[title][frames]concat=n=2:v=1:a=0,setpts='],
    ['title with logo', { ...basePlan, title: { ...card, logoFile: '/logo.png' } }, 3, 'overlay='],
    ['title of 0 s is left out', { ...basePlan, title: { ...card, seconds: 0 } }, 1, 'format=yuv420p[all];[all]split=2[out][p]'],
    ['with a preview', { ...basePlan, preview }, 1, '[all]split=3[out][p][v]'],
    [
      'with a soundtrack',
      { ...basePlan, soundtrack: { file: '/t/a.ogg', loudness: { integrated: -20, truePeak: -3, range: 4 }, gainDb: 4 } },
      2,
      '[1:a]atrim=end=3,',
    ],
  ])('%s', (_name, plan, inputs, fragment) => {
    const args = buildRenderArgs(plan);
    expect(args.filter((a) => a === '-i')).toHaveLength(inputs);
    expect(valueAfter(args, '-filter_complex')).toContain(fragment);
  });

  it('encodes H.264 High yuv420p with faststart, the configured preset, crf and threads', () => {
    const args = buildRenderArgs({ ...basePlan, encoder: { preset: 'faster', crf: 23, threads: 3 } });
    expect(valueAfter(args, '-c:v')).toBe('libx264');
    expect(valueAfter(args, '-profile:v')).toBe('high');
    expect(valueAfter(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueAfter(args, '-preset')).toBe('faster');
    expect(valueAfter(args, '-crf')).toBe('23');
    expect(valueAfter(args, '-threads')).toBe('3');
    expect(valueAfter(args, '-movflags')).toBe('+faststart');
    expect(args[args.indexOf('-f', args.indexOf('-movflags')) + 2]).toBe('/d/out/movie.mp4');
  });

  it('letterboxes to the even output size', () => {
    const graph = valueAfter(buildRenderArgs(basePlan), '-filter_complex') ?? '';
    expect(graph).toContain('scale=1280:720:force_original_aspect_ratio=decrease');
    expect(graph).toContain('pad=1280:720:(ow-iw)/2:(oh-ih)/2');
  });

  it('reads the title text from files, with expansion off, and escapes paths', () => {
    const graph = valueAfter(buildRenderArgs({ ...basePlan, title: card }), '-filter_complex') ?? '';
    expect(graph).toContain(`textfile=${escapeFilterValue(card.lines[0]?.textFile ?? '')}`);
    expect(graph).toContain('expansion=none');
    expect(graph).toContain('text_shaping=1');
    expect(graph).not.toMatch(/:text=/);
  });

  it('makes film, poster and preview in the one pass; only the film has sound', () => {
    const args = buildRenderArgs({
      ...basePlan,
      title: card,
      preview,
      soundtrack: { file: '/t/a.ogg', loudness: { integrated: -20, truePeak: -3, range: 4 }, gainDb: 4 },
    });
    expect(args.filter((a) => a === '-map')).toEqual(['-map', '-map', '-map', '-map']);
    expect(args.filter((_a, i) => args[i - 1] === '-map')).toEqual(['[out]', '[aout]', '[poster]', '[preview]']);
    expect(args.filter((a) => a === '-an')).toHaveLength(2);
    expect(args.filter((a) => a.startsWith('/d/out/'))).toEqual(['/d/out/movie.mp4', '/d/out/poster.jpg', '/d/out/preview.mp4']);
    expect(valueAfter(args, '-fps_mode')).toBe('passthrough');
    expect(valueAfter(args, '-c:a')).toBe('aac');
    // The split follows the concat, so no branch makes ffmpeg queue frames behind the title.
    const graph = valueAfter(args, '-filter_complex') ?? '';
    expect(graph.indexOf('concat')).toBeLessThan(graph.indexOf('split'));
    expect(graph.match(/split/g)).toHaveLength(1);
  });

  it('poster is the middle film frame, preview the first 3 s after the title', () => {
    const graph = valueAfter(buildRenderArgs({ ...basePlan, title: card, preview }), '-filter_complex') ?? '';
    // The card is one frame of the stream, whatever its length.
    expect(graph).toContain('[p]trim=start_frame=16:end_frame=17,');
    expect(graph).toContain('[v]trim=start_frame=1:end_frame=31,setpts=PTS-STARTPTS,scale=480:270');
  });

  it('title frame count follows seconds × fps', () => {
    expect(titleFrameCount(4, 10)).toBe(40);
    expect(titleFrameCount(2.5, 12)).toBe(30);
  });
});

describe('other ffmpeg argument builders', () => {
  it('probes frames one decode each, sized and numbered', () => {
    const args = buildProbeFramesArgs('/d/frames/%06d.jpg');
    expect(args).toContain('frame=best_effort_timestamp,width,height,pix_fmt');
    expect(valueAfter(args, '-framerate')).toBe('1');
    expect(valueAfter(args, '-i')).toBe('/d/frames/%06d.jpg');
  });

  it.each([
    [1, null],
    [2, 'hflip'],
    [3, 'hflip,vflip'],
    [4, 'vflip'],
    [5, 'transpose=0'],
    [6, 'transpose=1'],
    [7, 'transpose=3'],
    [8, 'transpose=2'],
    [9, null],
  ])('EXIF orientation %i → %s', (o, f) => {
    expect(orientationFilter(o)).toBe(f);
  });

  it.each([
    [
      { orientation: 'transpose=1', width: 640, height: 480, pixFmt: 'yuvj420p' },
      'transpose=1,scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=black,format=yuvj420p',
    ],
    [
      { orientation: null, width: 96, height: 72, pixFmt: 'gray' },
      'scale=96:72:force_original_aspect_ratio=decrease,pad=96:72:(ow-iw)/2:(oh-ih)/2:color=black,format=gray',
    ],
  ])('normalises an odd frame: %j', (o, filter) => {
    const args = buildNormaliseArgs({ input: '/a.jpg', output: '/b.jpg', ...o });
    expect(valueAfter(args, '-vf')).toBe(filter);
    expect(valueAfter(args, '-i')).toBe('/a.jpg');
    expect(args.at(-1)).toBe('/b.jpg');
  });

  it.each([
    ['11', 'gray'],
    ['22,11,11', 'yuvj420p'],
    ['21,11,11', 'yuvj422p'],
    ['11,11,11', 'yuvj444p'],
  ])('chroma layout %s decodes as %s', (sampling, fmt) => {
    expect(pixFmtForSampling(sampling)).toBe(fmt);
  });

  it('draws the idle slide from a text file', () => {
    const args = buildIdleSlideArgs({
      width: 640,
      height: 360,
      background: 'black',
      line: card.lines[0] ?? (undefined as never),
      output: '/idle.png',
    });
    expect(valueAfter(args, '-vf')).toContain('textfile=');
    expect(args.at(-1)).toBe('/idle.png');
  });
});

describe('parent-death wrapper', () => {
  it.each<[string | null, string, [string, string[]]]>([
    [null, 'KILL', ['ffmpeg', ['-i', 'x']]],
    ['/usr/bin/setpriv', 'KILL', ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'ffmpeg', '-i', 'x']]],
    ['/usr/bin/setpriv', 'TERM', ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', 'ffmpeg', '-i', 'x']]],
  ])('with setpriv %s and signal %s', (setpriv, signal, expected) => {
    expect(withParentDeathSignal('ffmpeg', ['-i', 'x'], setpriv, signal)).toEqual(expected);
  });
});

describe('progress parsing', () => {
  it('turns key=value blocks into records', () => {
    const parser = new ProgressParser();
    expect(parser.push('frame=10\nout_time_us=1000000\nspeed=2.5x\nprog')).toEqual([]);
    expect(parser.push('ress=continue\nframe=20\nout_time_us=2000000\nspeed=N/A\nprogress=end\n')).toEqual([
      { frame: 10, outTimeUs: 1_000_000, speed: 2.5, done: false },
      { frame: 20, outTimeUs: 2_000_000, speed: null, done: true },
    ]);
  });

  it('tolerates missing and odd values', () => {
    expect(parseProgressBlock({ frame: 'x' }, false)).toEqual({ frame: 0, outTimeUs: 0, speed: null, done: false });
  });
});

describe('mpv', () => {
  it('builds the big-screen command line, with extra arguments last', () => {
    const args = buildMpvArgs({ socket: '/run/mpv.sock', fullscreen: true, extraArgs: ['--vo=null'] });
    expect(args).toEqual(
      expect.arrayContaining([
        '--idle=yes',
        '--input-ipc-server=/run/mpv.sock',
        '--loop-playlist=inf',
        '--fullscreen',
        '--no-osc',
        '--prefetch-playlist=yes',
      ]),
    );
    expect(args.at(-1)).toBe('--vo=null');
    expect(buildMpvArgs({ socket: '/s', fullscreen: false, extraArgs: [] })).not.toContain('--fullscreen');
  });

  it.each<[string, string[], string[], unknown[]]>([
    ['nothing to do', ['a', 'b'], ['a', 'b'], []],
    ['append at the end', ['a'], ['a', 'b'], [['append', 'b']]],
    [
      'insert next = append then move',
      ['a', 'b', 'c'],
      ['a', 'n', 'b', 'c'],
      [
        ['append', 'n'],
        ['move', 3, 1],
      ],
    ],
    ['remove a film', ['a', 'b', 'c'], ['a', 'c'], [['remove', 1]]],
    [
      'idle slide replaced by the first film',
      ['idle'],
      ['f'],
      [
        ['append', 'f'],
        ['remove', 0],
      ],
    ],
    [
      'restore into an empty mpv',
      [],
      ['a', 'b'],
      [
        ['append', 'a'],
        ['append', 'b'],
      ],
    ],
    ['duplicates go', ['a', 'a'], ['a'], [['remove', 1]]],
  ])('sync plan: %s', (_name, actual, desired, steps) => {
    expect(planSync(actual, desired)).toEqual(steps);
    // Applying the plan really yields the desired list.
    const list = [...actual];
    for (const s of planSync(actual, desired)) {
      if (s[0] === 'append') list.push(s[1]);
      else if (s[0] === 'remove') list.splice(s[1], 1);
      else {
        const [item] = list.splice(s[1], 1);
        list.splice(s[2], 0, item as string);
      }
    }
    expect(list).toEqual(desired);
  });
});

describe('playlist', () => {
  const e = (id: string) => ({ id, file: `/films/${id}/movie.mp4` });
  it.each<[string, string[], string | null, string, string[]]>([
    ['after the one on screen', ['a', 'b', 'c'], 'a', 'n', ['a', 'n', 'b', 'c']],
    ['after the last one', ['a', 'b'], 'b', 'n', ['a', 'b', 'n']],
    ['at the end when nothing plays', ['a', 'b'], null, 'n', ['a', 'b', 'n']],
    ['once only', ['a', 'n'], 'a', 'n', ['a', 'n']],
  ])('inserts next: %s', (_name, ids, current, add, expected) => {
    expect(insertNext(ids.map(e), current, e(add)).map((x) => x.id)).toEqual(expected);
  });

  it('keeps new films in arrival order: each goes after the ones still waiting', () => {
    expect(insertNext(['a', 'x', 'y', 'b'].map(e), 'a', e('n'), new Set(['x', 'y'])).map((f) => f.id)).toEqual(['a', 'x', 'y', 'n', 'b']);
  });

  it('trims the oldest films but never the kept ones', () => {
    expect(trimPlaylist(['a', 'b', 'c', 'd'].map(e), 2, new Set(['a'])).map((x) => x.id)).toEqual(['a', 'd']);
  });
});

describe('title text', () => {
  it.each([
    ['Cat 🐱 party 🎉', 'Cat party'],
    ['👨‍👩‍👧 family', 'family'],
    ['שלום עולם', 'שלום עולם'],
    ['مرحبا', 'مرحبا'],
    ['flag 🇮🇱', 'flag'],
    ['a  b', 'a b'],
  ])('%j is drawn as %j', (input, expected) => {
    expect(printableTitle(input)).toBe(expected);
  });

  it('shrinks long titles to fit', () => {
    expect(fitFontSize('short', 1280, 90, 20)).toBe(90);
    expect(fitFontSize('x'.repeat(120), 1280, 90, 20)).toBe(20);
    expect(fitFontSize('x'.repeat(40), 1280, 90, 20)).toBe(48);
  });
});

describe('upload backoff', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [10, 60_000],
  ])('attempt %i waits about %i ms', (attempt, expected) => {
    expect(backoffMs(attempt, 60_000, () => 0.5)).toBe(expected);
  });
});
