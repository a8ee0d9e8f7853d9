// Every ffmpeg/ffprobe command line pinned argument by argument: each flag and value
// here is part of the contract with ffmpeg (input options before their `-i`, filter
// syntax, encoder settings), so a change to any of them must be a deliberate one.
import { describe, expect, it } from 'vitest';
import {
  buildEncoderTestArgs,
  buildIdleSlideArgs,
  buildListEncodersArgs,
  buildLoudnessProbeArgs,
  buildNormaliseArgs,
  buildProbeFramesArgs,
  buildRenderArgs,
  escapeFilterValue,
  fadeOutSeconds,
  hardwareBitrate,
  loudnessGainDb,
  orientationFilter,
  outputSize,
  PEAK_LIMIT,
  parseEncoderList,
  parseLoudnessSummary,
  pixFmtForSampling,
  previewSize,
  type RenderPlan,
  type TitleCard,
  titleFilter,
  titleFrameCount,
  titleTiming,
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
  poster: '/w/poster.jpg',
  preview: null,
  soundtrack: null,
};

const line = { textFile: '/w/t:1.txt', fontFile: "/f/it's.ttf", size: 48, y: 0.4567, color: 'white' };
const card: TitleCard = { seconds: 3, background: '0x101010', lines: [line] };
const LETTERBOX = 'scale=640:480:force_original_aspect_ratio=decrease:flags=bicubic,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1';
const DRAWTEXT =
  "drawtext=fontfile=/f/it\\\\\\'s.ttf:textfile=/w/t\\\\:1.txt:expansion=none:text_shaping=1:fontsize=48:fontcolor=white:x=(w-text_w)/2:y=h*0.457-text_h/2";
const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
const H264 = ['-c:v', 'libx264', '-profile:v', 'high', '-preset', 'veryfast', '-crf', '21', '-pix_fmt', 'yuv420p', '-threads', '3'];
const TAIL = ['-fps_mode', 'passthrough', '-an', '-movflags', '+faststart', '-f', 'mp4', '/w/movie.mp4'];
const POSTER_OUT = [
  '-map',
  '[poster]',
  '-frames:v',
  '1',
  '-update',
  '1',
  '-c:v',
  'mjpeg',
  '-q:v',
  '3',
  '-an',
  '-f',
  'image2',
  '/w/poster.jpg',
];
const PREVIEW_OUT = [
  '-map',
  '[preview]',
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
];
const PREVIEW = { output: '/w/p.mp4', width: 320, height: 240, frames: 36, preset: 'fast' };
const LOUDNESS = { integrated: -23.5, truePeak: -4.25, range: 3.1 };
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
  it('draws each line once on the first colour frame: the card is one frame', () => {
    expect(titleFilter(card, 480)).toBe(`[1:v]trim=end_frame=1,format=yuv420p,${DRAWTEXT},setsar=1[title]`);
    expect(titleFilter({ ...card, lines: [] }, 480)).toBe('[1:v]trim=end_frame=1,format=yuv420p,setsar=1[title]');
    expect(titleFilter({ ...card, lines: [line, { ...line, y: 0.75 }] }, 480)).toBe(
      `[1:v]trim=end_frame=1,format=yuv420p,${DRAWTEXT},${DRAWTEXT.replace('h*0.457', 'h*0.750')},setsar=1[title]`,
    );
  });
  it('overlays the logo at a fifth of the height, even, from input 2', () => {
    expect(titleFilter({ ...card, logoFile: '/logo.png' }, 480)).toBe(
      `[1:v]trim=end_frame=1,format=yuv420p,${DRAWTEXT}[bg];[2:v]scale=-2:96[logo];` +
        '[bg][logo]overlay=x=(W-w)/2:y=H*0.04:eof_action=repeat:format=auto,format=yuv420p,setsar=1[title]',
    );
    expect(titleFilter({ ...card, logoFile: '/logo.png' }, 490)).toContain('[2:v]scale=-2:98[logo]');
    expect(titleFilter({ ...card, logoFile: '/logo.png' }, 8)).toContain('[2:v]scale=-2:2[logo]');
  });
});

describe('titleTiming', () => {
  // card: 3 s at 12 fps = 36 intervals: its frame at 0, film frame k at (36 + k) / 12.
  it('holds the card for its length and times every film frame after it', () => {
    expect(titleTiming(card, 12)).toBe('setpts=if(eq(N\\,0)\\,0\\,(N-1+36)/(12*TB))');
    expect(titleTiming({ ...card, seconds: 0.5 }, 10)).toBe('setpts=if(eq(N\\,0)\\,0\\,(N-1+5)/(10*TB))');
    // A card shorter than a frame interval still shows for one.
    expect(titleTiming({ ...card, seconds: 0.01 }, 10)).toBe('setpts=if(eq(N\\,0)\\,0\\,(N-1+1)/(10*TB))');
  });
});

describe('buildRenderArgs', () => {
  it('frames only: film and poster split after the letterbox', () => {
    expect(buildRenderArgs(plan)).toEqual([
      ...HEAD,
      ...PROGRESS,
      ...FRAMES_IN,
      '-filter_complex',
      `[0:v]${LETTERBOX},format=yuv420p[all];[all]split=2[out][p];[p]trim=start_frame=6:end_frame=7,format=yuvj420p[poster]`,
      '-filter_complex_threads',
      '3',
      '-map',
      '[out]',
      ...H264,
      ...TAIL,
      ...POSTER_OUT,
    ]);
  });
  it('a title card of 0 seconds is left out', () => {
    expect(buildRenderArgs({ ...plan, title: { ...card, seconds: 0 } })).toEqual(buildRenderArgs(plan));
  });
  it('title card then frames, split after the concat; poster and preview skip the title frame', () => {
    expect(buildRenderArgs({ ...plan, title: card, preview: PREVIEW })).toEqual([
      ...HEAD,
      ...PROGRESS,
      ...FRAMES_IN,
      '-f',
      'lavfi',
      '-i',
      'color=c=0x101010:s=640x480:r=12:d=3',
      '-filter_complex',
      `[0:v]${LETTERBOX},format=yuv420p[frames];${titleFilter(card, 480)};[title][frames]concat=n=2:v=1:a=0,${titleTiming(card, 12)}[all];` +
        '[all]split=3[out][p][v];[p]trim=start_frame=7:end_frame=8,format=yuvj420p[poster];' +
        '[v]trim=start_frame=1:end_frame=37,setpts=PTS-STARTPTS,scale=320:240:flags=bicubic,setsar=1,format=yuv420p[preview]',
      '-filter_complex_threads',
      '3',
      '-map',
      '[out]',
      ...H264,
      ...TAIL,
      ...POSTER_OUT,
      ...PREVIEW_OUT,
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
    expect(args[24]).toBe(
      `[0:v]${LETTERBOX},format=yuv420p[frames];${titleFilter(withLogo, 480)};[title][frames]concat=n=2:v=1:a=0,${titleTiming(withLogo, 12)}[all];` +
        '[all]split=2[out][p];[p]trim=start_frame=7:end_frame=8,format=yuvj420p[poster]',
    );
  });
  it('the soundtrack: looped input after the logo, mixed into the film only, AAC', () => {
    const withLogo = { ...card, logoFile: '/logo.png' };
    const args = buildRenderArgs({
      ...plan,
      title: withLogo,
      preview: PREVIEW,
      soundtrack: { file: '/t/happy.ogg', loudness: LOUDNESS, gainDb: 7.5 },
    });
    const fc = args.indexOf('-filter_complex');
    expect(args.slice(fc - 6, fc)).toEqual(['-i', '/logo.png', '-stream_loop', '-1', '-i', '/t/happy.ogg']);
    expect(args[fc + 1]).toContain(
      ';[3:a]atrim=end=4,asetpts=PTS-STARTPTS,' +
        'volume=7.5dB,alimiter=limit=0.7943:level=false:latency=true,' +
        'aresample=48000,afade=t=in:d=0.05,afade=t=out:st=2.667:d=1.333,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[aout]',
    );
    const map = args.indexOf('-map');
    expect(args.slice(map, map + 2 + H264.length + 12)).toEqual([
      '-map',
      '[out]',
      ...H264,
      '-fps_mode',
      'passthrough',
      '-map',
      '[aout]',
      '-c:a',
      'aac',
      '-aac_coder',
      'fast',
      '-b:a',
      '160k',
      '-movflags',
      '+faststart',
    ]);
    expect(args.slice(-POSTER_OUT.length - PREVIEW_OUT.length)).toEqual([...POSTER_OUT, ...PREVIEW_OUT]);
    expect(args.filter((a) => a === '[aout]')).toHaveLength(1);
  });
  it('the soundtrack without a title is the frames’ length and input 1', () => {
    const args = buildRenderArgs({ ...plan, soundtrack: { file: '/t/a.m4a', loudness: LOUDNESS, gainDb: 7.5 } });
    const graph = args[args.indexOf('-filter_complex') + 1];
    expect(graph).toContain(';[1:a]atrim=end=1,asetpts=PTS-STARTPTS,');
    expect(graph).toContain('afade=t=out:st=0.667:d=0.333,');
  });
  it.each<[string, RenderPlan['encoder'], string[], string[], string]>([
    ['libx264', { ...plan.encoder, kind: 'libx264' }, [], H264, '[out]'],
    [
      'h264_v4l2m2m',
      { ...plan.encoder, kind: 'h264_v4l2m2m' },
      [],
      ['-c:v', 'h264_v4l2m2m', '-profile:v', '100', '-b:v', '1000000', '-pix_fmt', 'yuv420p'],
      '[out]',
    ],
    [
      'h264_vaapi',
      { ...plan.encoder, kind: 'h264_vaapi', vaapiDevice: '/dev/dri/renderD129' },
      ['-init_hw_device', 'vaapi=va:/dev/dri/renderD129', '-filter_hw_device', 'va'],
      ['-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'CQP', '-qp', '21'],
      '[film]',
    ],
  ])('film encoder %s', (_name, encoder, global, video, splitOut) => {
    const args = buildRenderArgs({ ...plan, encoder, preview: PREVIEW });
    expect(args.slice(0, HEAD.length + PROGRESS.length + global.length + FRAMES_IN.length)).toEqual([
      ...HEAD,
      ...PROGRESS,
      ...global,
      ...FRAMES_IN,
    ]);
    const graph = args[HEAD.length + PROGRESS.length + global.length + FRAMES_IN.length + 1] ?? '';
    expect(graph).toContain(`[all]split=3${splitOut}[p][v];`);
    if (encoder.kind === 'h264_vaapi') expect(graph).toContain(';[film]format=nv12,hwupload[out];');
    else expect(graph).not.toContain('hwupload');
    const at = args.indexOf('[out]');
    expect(args.slice(at + 1, at + 1 + video.length + 2)).toEqual([...video, '-fps_mode', 'passthrough']);
    // The preview stays on libx264 whatever encodes the film.
    expect(args.slice(-PREVIEW_OUT.length)).toEqual(PREVIEW_OUT);
  });
});

describe('encoder probe and loudness', () => {
  it('hardware bitrate: 0.2 bit per pixel and frame within 1–20 Mbit/s', () => {
    expect(hardwareBitrate(1920, 1080, 10)).toBe(4_147_200);
    expect(hardwareBitrate(320, 240, 10)).toBe(1_000_000);
    expect(hardwareBitrate(4096, 4096, 60)).toBe(20_000_000);
  });
  it('gain to −16 LUFS and the sample-peak ceiling 0.5 dB under −1.5 dBTP', () => {
    expect(loudnessGainDb(LOUDNESS)).toBe(7.5);
    expect(loudnessGainDb({ integrated: -9.123, truePeak: 0, range: 1 })).toBe(-6.88);
    expect(PEAK_LIMIT).toBe(0.7943);
  });
  it('fade-out: 1.5 s, a third of a short film', () => {
    expect(fadeOutSeconds(14)).toBe(1.5);
    expect(fadeOutSeconds(4.5)).toBe(1.5);
    expect(fadeOutSeconds(3)).toBe(1);
    expect(fadeOutSeconds(0.1)).toBe(0.033);
  });
  it('list and test encode', () => {
    expect(buildListEncodersArgs()).toEqual(['-hide_banner', '-nostdin', '-encoders']);
    expect(buildEncoderTestArgs({ ...plan.encoder, kind: 'h264_vaapi' })).toEqual([
      ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
      ...['-init_hw_device', 'vaapi=va:/dev/dri/renderD128', '-filter_hw_device', 'va'],
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10:d=0.5', '-vf', 'format=yuv420p,format=nv12,hwupload'],
      ...['-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'CQP', '-qp', '21', '-f', 'null', '-'],
    ]);
    expect(buildEncoderTestArgs({ ...plan.encoder, kind: 'h264_v4l2m2m' })).toEqual([
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10:d=0.5', '-vf', 'format=yuv420p'],
      ...['-c:v', 'h264_v4l2m2m', '-profile:v', '100', '-b:v', '1000000', '-pix_fmt', 'yuv420p', '-f', 'null', '-'],
    ]);
  });
  it('parses ffmpeg -encoders', () => {
    const out = [
      'Encoders:',
      ' V..... = Video',
      ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)',
      ' V..... h264_v4l2m2m         V4L2 mem2mem H.264 encoder wrapper (codec h264)',
      ' V....D h264_vaapi           H.264/AVC (VAAPI) (codec h264)',
      ' A..... aac                  AAC (Advanced Audio Coding)',
    ].join('\n');
    expect([...parseEncoderList(out)]).toEqual(['libx264', 'h264_v4l2m2m', 'h264_vaapi', 'aac']);
    expect(parseEncoderList('')).toEqual(new Set());
  });
  it('loudness probe: loops the track, measures exactly the film length', () => {
    expect(buildLoudnessProbeArgs('/t/x.ogg', 13.4)).toEqual([
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-stream_loop', '-1', '-i', '/t/x.ogg', '-filter_complex'],
      '[0:a]atrim=end=13.4,asetpts=PTS-STARTPTS,ebur128=peak=true:framelog=verbose',
      ...['-vn', '-sn', '-dn', '-f', 'null', '-'],
    ]);
  });
  it('parses the last ebur128 summary, silence as -inf, refusing a missing or cut one', () => {
    const summary = (i: string, peak: string) =>
      `[Parsed_ebur128_1 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         ${i} LUFS\n    Threshold: -33.9 LUFS\n\n` +
      '  Loudness range:\n    LRA:         3.1 LU\n    Threshold: -43.9 LUFS\n    LRA low:   -25.0 LUFS\n    LRA high:  -21.9 LUFS\n\n' +
      `  True peak:\n    Peak:      ${peak} dBFS`;
    expect(parseLoudnessSummary(`${summary('-70.0', '-inf')}\n${summary('-23.5', '-4.25')}`)).toEqual(LOUDNESS);
    expect(parseLoudnessSummary(summary('-70.0', '-inf'))).toEqual({
      integrated: -70,
      range: 3.1,
      truePeak: Number.NEGATIVE_INFINITY,
    });
    expect(parseLoudnessSummary('no summary')).toBeNull();
    expect(parseLoudnessSummary(summary('-23.5', '-4.25').split('  True peak')[0] ?? '')).toBeNull();
  });
});

describe('the small passes', () => {
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
