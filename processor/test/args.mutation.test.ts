// Every ffmpeg/ffprobe command line pinned argument by argument: each flag and value
// here is part of the contract with ffmpeg (input options before their `-i`, filter
// syntax, encoder settings), so a change to any of them must be a deliberate one.
import { describe, expect, it } from 'vitest';
import {
  buildIdleSlideArgs,
  buildNormaliseArgs,
  buildPosterArgs,
  buildPreviewArgs,
  buildProbeFramesArgs,
  buildRenderArgs,
  escapeFilterValue,
  orientationFilter,
  outputSize,
  pixFmtForSampling,
  previewSize,
  type RenderPlan,
  type TitleCard,
  titleFilter,
  titleFrameCount,
  withParentDeathSignal,
} from '../src/args.js';

const plan: RenderPlan = {
  framesPattern: '/w/frames/%06d.jpg',
  frameCount: 12,
  fps: 12,
  width: 640,
  height: 480,
  title: null,
  encoder: { preset: 'veryfast', crf: 21, threads: 3 },
  output: '/w/movie.mp4',
};

const line = { textFile: '/w/t:1.txt', fontFile: "/f/it's.ttf", size: 48, y: 0.4567, color: 'white' };
const card: TitleCard = { seconds: 3, background: '0x101010', lines: [line] };
const LETTERBOX = 'scale=640:480:force_original_aspect_ratio=decrease:flags=bicubic,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1';
const DRAWTEXT =
  "drawtext=fontfile=/f/it\\\\\\'s.ttf:textfile=/w/t\\\\:1.txt:expansion=none:text_shaping=1:fontsize=48:fontcolor=white:x=(w-text_w)/2:y=h*0.457-text_h/2";
const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
const H264 = ['-c:v', 'libx264', '-profile:v', 'high', '-preset', 'veryfast', '-crf', '21', '-pix_fmt', 'yuv420p', '-threads', '3'];
const TAIL = ['-fps_mode', 'passthrough', '-movflags', '+faststart', '-an', '-f', 'mp4', '/w/movie.mp4'];
const FRAMES_IN = ['-framerate', '12', '-start_number', '0', '-f', 'image2', '-i', '/w/frames/%06d.jpg'];
const PROGRESS = ['-progress', 'pipe:1', '-stats_period', '0.5'];

describe('escapeFilterValue', () => {
  it("escapes level 1 (\\ ' :) and then level 2 (\\ ' [ ] , ;), and leaves the rest", () => {
    expect(escapeFilterValue('plain/path-1_x.txt')).toBe('plain/path-1_x.txt');
    expect(escapeFilterValue(':')).toBe('\\\\:');
    expect(escapeFilterValue('[')).toBe('\\[');
    expect(escapeFilterValue(']')).toBe('\\]');
    expect(escapeFilterValue(',')).toBe('\\,');
    expect(escapeFilterValue(';')).toBe('\\;');
    expect(escapeFilterValue("'")).toBe("\\\\\\'");
    expect(escapeFilterValue('\\')).toBe('\\\\\\\\');
    expect(escapeFilterValue('a:b:c')).toBe('a\\\\:b\\\\:c');
    expect(escapeFilterValue('a,b,c')).toBe('a\\,b\\,c');
  });
});

describe('outputSize and previewSize', () => {
  it('keeps a frame that already fits, and only ever scales down', () => {
    expect(outputSize(640, 480, 640, 480)).toEqual({ width: 640, height: 480 });
    expect(outputSize(100, 50, 1920, 1080)).toEqual({ width: 100, height: 50 });
  });
  it('is limited by the tighter side and rounds to even numbers', () => {
    expect(outputSize(2000, 1000, 1000, 1000)).toEqual({ width: 1000, height: 500 });
    expect(outputSize(1000, 2000, 1000, 1000)).toEqual({ width: 500, height: 1000 });
    expect(outputSize(1001, 1001, 1920, 1080)).toEqual({ width: 1000, height: 1000 });
    // 333 × (1000/1001) rounds to 333, then down to even.
    expect(outputSize(1001, 333, 1000, 1000)).toEqual({ width: 1000, height: 332 });
    expect(outputSize(1, 1, 10, 10)).toEqual({ width: 2, height: 2 });
  });
  it('previews fit 480×270', () => {
    expect(previewSize(1920, 1080)).toEqual({ width: 480, height: 270 });
    expect(previewSize(1080, 1920)).toEqual({ width: 152, height: 270 });
    expect(previewSize(400, 200)).toEqual({ width: 400, height: 200 });
  });
});

describe('titleFrameCount', () => {
  it('rounds seconds × fps', () => {
    expect(titleFrameCount(1.04, 10)).toBe(10);
    expect(titleFrameCount(1.06, 10)).toBe(11);
  });
});

describe('titleFilter', () => {
  it('draws each line on the colour input', () => {
    expect(titleFilter(card, 640, 480)).toBe(`[1:v]format=yuv420p,${DRAWTEXT},setsar=1[title]`);
    expect(titleFilter({ ...card, lines: [] }, 640, 480)).toBe('[1:v]format=yuv420p,setsar=1[title]');
    expect(titleFilter({ ...card, lines: [line, { ...line, y: 0.75 }] }, 640, 480)).toBe(
      `[1:v]format=yuv420p,${DRAWTEXT},${DRAWTEXT.replace('h*0.457', 'h*0.750')},setsar=1[title]`,
    );
  });
  it('overlays the logo at a fifth of the height, even, from input 2', () => {
    expect(titleFilter({ ...card, logoFile: '/logo.png' }, 640, 480)).toBe(
      `[1:v]format=yuv420p,${DRAWTEXT}[bg];[2:v]scale=-2:96[logo];` +
        '[bg][logo]overlay=x=(W-w)/2:y=H*0.04:eof_action=repeat:format=auto,format=yuv420p,setsar=1[title]',
    );
    expect(titleFilter({ ...card, logoFile: '/logo.png' }, 640, 490)).toContain('[2:v]scale=-2:98[logo]');
    expect(titleFilter({ ...card, logoFile: '/logo.png' }, 8, 8)).toContain('[2:v]scale=-2:2[logo]');
  });
});

describe('buildRenderArgs', () => {
  it('frames only', () => {
    expect(buildRenderArgs(plan)).toEqual([
      ...HEAD,
      ...PROGRESS,
      ...FRAMES_IN,
      '-filter_complex',
      `[0:v]${LETTERBOX},format=yuv420p[film];[film]null[out]`,
      '-filter_complex_threads',
      '3',
      '-map',
      '[out]',
      ...H264,
      ...TAIL,
    ]);
  });
  it('a title card of 0 seconds is left out', () => {
    expect(buildRenderArgs({ ...plan, title: { ...card, seconds: 0 } })).toEqual(buildRenderArgs(plan));
  });
  it('title card then frames', () => {
    expect(buildRenderArgs({ ...plan, title: card })).toEqual([
      ...HEAD,
      ...PROGRESS,
      ...FRAMES_IN,
      '-f',
      'lavfi',
      '-i',
      'color=c=0x101010:s=640x480:r=12:d=3',
      '-filter_complex',
      `[0:v]${LETTERBOX},format=yuv420p[film];${titleFilter(card, 640, 480)};[title][film]concat=n=2:v=1:a=0[out]`,
      '-filter_complex_threads',
      '3',
      '-map',
      '[out]',
      ...H264,
      ...TAIL,
    ]);
  });
  it('title card with a logo as the third input', () => {
    const withLogo = { ...card, logoFile: '/logo.png' };
    const args = buildRenderArgs({ ...plan, title: withLogo });
    expect(args.slice(0, 24)).toEqual([
      ...HEAD,
      ...PROGRESS,
      ...FRAMES_IN,
      '-f',
      'lavfi',
      '-i',
      'color=c=0x101010:s=640x480:r=12:d=3',
      '-i',
      '/logo.png',
      '-filter_complex',
    ]);
    expect(args[24]).toBe(`[0:v]${LETTERBOX},format=yuv420p[film];${titleFilter(withLogo, 640, 480)};[title][film]concat=n=2:v=1:a=0[out]`);
  });
});

describe('the small passes', () => {
  it('poster', () => {
    expect(buildPosterArgs({ input: '/w/0000.jpg', output: '/w/poster.jpg', width: 640, height: 480 })).toEqual([
      ...HEAD,
      '-i',
      '/w/0000.jpg',
      '-vf',
      `${LETTERBOX},format=yuvj420p`,
      '-frames:v',
      '1',
      '-update',
      '1',
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-f',
      'image2',
      '/w/poster.jpg',
    ]);
  });
  it('preview', () => {
    expect(
      buildPreviewArgs({
        framesPattern: '/w/frames/%06d.jpg',
        fps: 12,
        frames: 36,
        width: 640,
        height: 480,
        preset: 'fast',
        output: '/w/p.mp4',
      }),
    ).toEqual([
      ...HEAD,
      ...FRAMES_IN,
      '-frames:v',
      '36',
      '-vf',
      `${LETTERBOX},format=yuv420p`,
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-preset',
      'fast',
      '-crf',
      '28',
      '-pix_fmt',
      'yuv420p',
      '-threads',
      '1',
      '-movflags',
      '+faststart',
      '-an',
      '-f',
      'mp4',
      '/w/p.mp4',
    ]);
  });
  it('probe', () => {
    expect(buildProbeFramesArgs('/w/frames/%06d.jpg')).toEqual([
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'image2',
      '-framerate',
      '1',
      '-start_number',
      '0',
      '-i',
      '/w/frames/%06d.jpg',
      '-show_entries',
      'frame=best_effort_timestamp,width,height,pix_fmt',
      '-of',
      'json',
    ]);
  });
  it('normalise, with and without a rotation', () => {
    const o = { input: '/w/in.jpg', output: '/w/out.jpg', width: 640, height: 480, pixFmt: 'yuvj422p' };
    const tail = ['-q:v', '2', '-frames:v', '1', '-update', '1', '-f', 'image2', '-c:v', 'mjpeg', '/w/out.jpg'];
    const fit = 'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=black,format=yuvj422p';
    expect(buildNormaliseArgs({ ...o, orientation: 'transpose=1' })).toEqual([
      ...HEAD,
      '-i',
      '/w/in.jpg',
      '-vf',
      `transpose=1,${fit}`,
      ...tail,
    ]);
    expect(buildNormaliseArgs({ ...o, orientation: null })).toEqual([...HEAD, '-i', '/w/in.jpg', '-vf', fit, ...tail]);
  });
  it('idle slide', () => {
    expect(buildIdleSlideArgs({ width: 640, height: 480, background: '0x000000', line, output: '/w/idle.png' })).toEqual([
      ...HEAD,
      '-f',
      'lavfi',
      '-i',
      'color=c=0x000000:s=640x480:d=1',
      '-vf',
      DRAWTEXT,
      '-frames:v',
      '1',
      '-update',
      '1',
      '-f',
      'image2',
      '-c:v',
      'png',
      '/w/idle.png',
    ]);
  });
});

describe('orientation, pixel formats and the parent-death wrapper', () => {
  it('maps every EXIF orientation', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 0].map(orientationFilter)).toEqual([
      null,
      'hflip',
      'hflip,vflip',
      'vflip',
      'transpose=0',
      'transpose=1',
      'transpose=3',
      'transpose=2',
      null,
      null,
    ]);
  });
  it('maps JPEG chroma layouts to the decoder pixel format', () => {
    expect(['11', '11,11,11', '21,11,11', '22,11,11', ''].map(pixFmtForSampling)).toEqual([
      'gray',
      'yuvj444p',
      'yuvj422p',
      'yuvj420p',
      'yuvj420p',
    ]);
  });
  it('wraps with setpriv when there is one, and copies the arguments either way', () => {
    const args = ['-i', 'x'];
    const [cmd, plain] = withParentDeathSignal('ffmpeg', args, null);
    expect([cmd, plain]).toEqual(['ffmpeg', ['-i', 'x']]);
    expect(plain).not.toBe(args);
    expect(withParentDeathSignal('ffmpeg', args, '/usr/bin/setpriv')).toEqual([
      '/usr/bin/setpriv',
      ['--pdeathsig', 'KILL', '--', 'ffmpeg', '-i', 'x'],
    ]);
    expect(withParentDeathSignal('ffmpeg', args, '/usr/bin/setpriv', 'TERM')[1][1]).toBe('TERM');
  });
});
