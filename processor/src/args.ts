/**
 * Argument arrays for ffmpeg and ffprobe. Pure functions: no I/O, no shell; the
 * table tests in test/args.test.ts pin them down.
 */

/** Escapes a value for a filter option (level 1) and then for the filtergraph (level 2). */
export function escapeFilterValue(value: string): string {
  const level1 = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return level1.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** Output size for frames of `width`×`height`: fits the maximum, keeps the aspect ratio, even. */
export function outputSize(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  return { width: even(Math.round(width * scale)), height: even(Math.round(height * scale)) };
}

export interface TitleLine {
  /** A UTF-8 text file holding the line; drawtext reads it, so the text is never part of a filter string. */
  textFile: string;
  fontFile: string;
  /** Font size in pixels. */
  size: number;
  /** Vertical centre of the line as a fraction of the height. */
  y: number;
  color: string;
}

export interface TitleCard {
  seconds: number;
  background: string;
  lines: TitleLine[];
  logoFile?: string | undefined;
}

/** The H.264 encoders the film can be made with; libx264 is the fallback that always works. */
export const VIDEO_ENCODERS = ['libx264', 'h264_v4l2m2m', 'h264_vaapi'] as const;
export type VideoEncoder = (typeof VIDEO_ENCODERS)[number];

export interface EncoderSettings {
  preset: string;
  crf: number;
  threads: number;
  /** Default libx264. */
  kind?: VideoEncoder | undefined;
  /** The DRM render node h264_vaapi opens. */
  vaapiDevice?: string | undefined;
}

export const DEFAULT_VAAPI_DEVICE = '/dev/dri/renderD128';

/** EBU R128 targets of the soundtrack mix: −16 LUFS integrated, −1.5 dBTP true peak. */
export const LOUDNESS_TARGET = { integrated: -16, truePeak: -1.5 } as const;

/** The track's measured loudness (EBU R128: LUFS, dBTP, LU), over the part the film uses. */
export interface LoudnessMeasure {
  integrated: number;
  truePeak: number;
  range: number;
}

export interface SoundtrackMix {
  file: string;
  loudness: LoudnessMeasure;
  /** The constant gain before the peak limiter (see prepareSoundtrack). */
  gainDb: number;
}

export interface PreviewPlan {
  output: string;
  width: number;
  height: number;
  /** Film frames in the preview (the title is left out). */
  frames: number;
  preset: string;
}

export interface RenderPlan {
  /** image2 pattern of contiguous frames, e.g. `/data/work/X/frames/%06d.jpg`. */
  framesPattern: string;
  frameCount: number;
  fps: number;
  width: number;
  height: number;
  title: TitleCard | null;
  encoder: EncoderSettings;
  output: string;
  poster: string;
  preview: PreviewPlan | null;
  soundtrack: SoundtrackMix | null;
}

export function titleFrameCount(seconds: number, fps: number): number {
  return Math.round(seconds * fps);
}

function letterbox(width: number, height: number): string {
  return (
    `scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=bicubic,` +
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1`
  );
}

/** Bits per second for encoders without a constant-quality mode: 0.2 bit per pixel and frame, 1–20 Mbit/s. */
export function hardwareBitrate(width: number, height: number, fps: number): number {
  return Math.min(20_000_000, Math.max(1_000_000, Math.round(width * height * fps * 0.2)));
}

/** Options before the inputs an encoder needs (a device for VAAPI). */
export function encoderGlobalArgs(e: EncoderSettings): string[] {
  if (e.kind === 'h264_vaapi') return ['-init_hw_device', `vaapi=va:${e.vaapiDevice ?? DEFAULT_VAAPI_DEVICE}`, '-filter_hw_device', 'va'];
  return [];
}

/** Filters that end the film's chain for an encoder: VAAPI encodes from NV12 surfaces on the device. */
export function encoderUpload(e: EncoderSettings): string | null {
  return e.kind === 'h264_vaapi' ? 'format=nv12,hwupload' : null;
}

/** H.264 High for the film, per encoder. */
export function videoEncoderArgs(e: EncoderSettings, size: { width: number; height: number; fps: number }): string[] {
  switch (e.kind ?? 'libx264') {
    case 'h264_v4l2m2m':
      // profile is the generic AVCodecContext option here: 100 = High.
      return [
        '-c:v',
        'h264_v4l2m2m',
        '-profile:v',
        '100',
        '-b:v',
        String(hardwareBitrate(size.width, size.height, size.fps)),
        '-pix_fmt',
        'yuv420p',
      ];
    case 'h264_vaapi':
      return ['-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'CQP', '-qp', String(e.crf)];
    default:
      return [
        '-c:v',
        'libx264',
        '-profile:v',
        'high',
        '-preset',
        e.preset,
        '-crf',
        String(e.crf),
        '-pix_fmt',
        'yuv420p',
        '-threads',
        String(e.threads),
      ];
  }
}

function drawtextFilter(line: TitleLine): string {
  return [
    `drawtext=fontfile=${escapeFilterValue(line.fontFile)}`,
    `textfile=${escapeFilterValue(line.textFile)}`,
    'expansion=none',
    'text_shaping=1',
    `fontsize=${line.size}`,
    `fontcolor=${line.color}`,
    'x=(w-text_w)/2',
    `y=h*${line.y.toFixed(3)}-text_h/2`,
  ].join(':');
}

/**
 * The title card as a filter chain ending in `[title]`; input 1 is the lavfi colour, input 2
 * the logo. The card is drawn once, on the first colour frame, and that frame is repeated for
 * the card's length: drawtext (with shaping) and the overlay run once, not once per frame.
 */
export function titleFilter(card: TitleCard, width: number, height: number, fps: number): string {
  const text = card.lines.map(drawtextFilter);
  const hold = `loop=loop=${Math.max(0, titleFrameCount(card.seconds, fps) - 1)}:size=1:start=0,setpts=N/(${fps}*TB)`;
  const chain = [`[1:v]${['trim=end_frame=1', 'format=yuv420p', ...text].join(',')}`];
  if (card.logoFile) {
    const logoHeight = Math.max(2, Math.floor(height / 5 / 2) * 2);
    return (
      `${chain[0]}[bg];` +
      `[2:v]scale=-2:${logoHeight}[logo];` +
      `[bg][logo]overlay=x=(W-w)/2:y=H*0.04:eof_action=repeat:format=auto,format=yuv420p,setsar=1,${hold}[title]`
    );
  }
  void width;
  return `${chain[0]},setsar=1,${hold}[title]`;
}

/** Fade-out at the film's end: 1.5 s, or a third of a very short film. */
export function fadeOutSeconds(durationSec: number): number {
  return Math.round(Math.min(1.5, durationSec / 3) * 1000) / 1000;
}

const num = (n: number) => String(Math.round(n * 1000) / 1000);

/** The constant gain that brings the measured track to the integrated target (what loudnorm's linear mode applies). */
export function loudnessGainDb(m: LoudnessMeasure): number {
  return Math.round((LOUDNESS_TARGET.integrated - m.integrated) * 100) / 100;
}

/** Sample peaks are held at the true-peak target minus 0.5 dB, the margin for peaks between samples. */
export const PEAK_LIMIT = Math.round(10 ** ((LOUDNESS_TARGET.truePeak - 0.5) / 20) * 10_000) / 10_000;

/** The gain and the lookahead limiter holding sample peaks (the same in the measuring pass and the film's). */
export function gainAndLimit(gainDb: number): string {
  return `volume=${gainDb}dB,alimiter=limit=${PEAK_LIMIT}:level=false:latency=true`;
}

/**
 * The soundtrack under the whole film: the track starts with the title card (its opening
 * is the card's sting, with a 50 ms fade-in against a click), loops if it is shorter than
 * the film, is cut to the film's length, brought to the integrated target by a constant gain
 * from the measured loudness (music keeps its dynamics and the fade its shape), its peaks held
 * by a lookahead limiter, faded out at the end, 48 kHz stereo. (loudnorm itself is not in the
 * pass: even in linear mode it holds back 3 s of audio, and ffmpeg then queued ~90 decoded
 * video frames to interleave the film, +120 MB at 720p, and spent 0.3 s more CPU.)
 */
export function soundtrackFilter(input: number, mix: SoundtrackMix, durationSec: number): string {
  const fade = fadeOutSeconds(durationSec);
  return (
    `[${input}:a]atrim=end=${num(durationSec)},asetpts=PTS-STARTPTS,` +
    `${gainAndLimit(mix.gainDb)},` +
    `aresample=48000,afade=t=in:d=0.05,afade=t=out:st=${num(durationSec - fade)}:d=${num(fade)},` +
    'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[aout]'
  );
}

/**
 * The measuring pass over exactly the part of the track the film will use: ffmpeg's EBU R128
 * meter (integrated loudness, loudness range, true peak), the values loudnorm's own first pass
 * reports, at a quarter of its cost (loudnorm measures at 192 kHz).
 */
export function buildLoudnessProbeArgs(file: string, durationSec: number, gainDb: number | null = null): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    '-stream_loop',
    '-1',
    '-i',
    file,
    '-filter_complex',
    `[0:a]atrim=end=${num(durationSec)},asetpts=PTS-STARTPTS,${gainDb === null ? '' : `${gainAndLimit(gainDb)},`}ebur128=peak=true:framelog=verbose`,
    '-vn',
    '-sn',
    '-dn',
    '-f',
    'null',
    '-',
  ];
}

/** The last summary the ebur128 filter prints (−inf for silence); null when it is missing or incomplete. */
export function parseLoudnessSummary(stderr: string): LoudnessMeasure | null {
  const at = stderr.lastIndexOf('Summary:');
  if (at < 0) return null;
  const text = stderr.slice(at);
  const value = (re: RegExp) => {
    const m = re.exec(text)?.[1];
    if (m === '-inf') return Number.NEGATIVE_INFINITY;
    const v = m === undefined ? Number.NaN : Number.parseFloat(m);
    return Number.isFinite(v) ? v : null;
  };
  const integrated = value(/Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS/);
  const range = value(/LRA:\s+(-?[\d.]+) LU\b/);
  const truePeak = value(/True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/);
  if (integrated === null || range === null || truePeak === null) return null;
  return { integrated, truePeak, range };
}

/**
 * The whole film in one ffmpeg pass, each frame decoded once: title card + letterboxed
 * frames are concatenated, then split to movie.mp4 (with the soundtrack, when there is
 * one), poster.jpg (the middle frame) and preview.mp4 (the first seconds, no title, small,
 * silent). The split comes after the concat on purpose: a branch taken before it would
 * queue decoded frames at the concat while the title card is encoded.
 */
export function buildRenderArgs(plan: RenderPlan): string[] {
  const { width, height, fps, encoder } = plan;
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-stats_period', '0.5'];
  args.push(...encoderGlobalArgs(encoder));
  args.push('-framerate', String(fps), '-start_number', '0', '-f', 'image2', '-i', plan.framesPattern);
  let inputs = 1;
  const graph: string[] = [];
  const titled = plan.title !== null && plan.title.seconds > 0;
  const titleFrames = titled && plan.title ? titleFrameCount(plan.title.seconds, fps) : 0;
  if (titled && plan.title) {
    const t = plan.title;
    args.push('-f', 'lavfi', '-i', `color=c=${t.background}:s=${width}x${height}:r=${fps}:d=${t.seconds}`);
    inputs++;
    if (t.logoFile) {
      args.push('-i', t.logoFile);
      inputs++;
    }
    graph.push(`[0:v]${letterbox(width, height)},format=yuv420p[frames]`);
    graph.push(titleFilter(t, width, height, fps));
    graph.push('[title][frames]concat=n=2:v=1:a=0[all]');
  } else {
    graph.push(`[0:v]${letterbox(width, height)},format=yuv420p[all]`);
  }
  const branches = plan.preview ? 3 : 2;
  const upload = encoderUpload(encoder);
  graph.push(`[all]split=${branches}[${upload ? 'film' : 'out'}][p]${plan.preview ? '[v]' : ''}`);
  if (upload) graph.push(`[film]${upload}[out]`);
  const posterAt = titleFrames + Math.floor(plan.frameCount / 2);
  graph.push(`[p]trim=start_frame=${posterAt}:end_frame=${posterAt + 1},format=yuvj420p[poster]`);
  if (plan.preview) {
    const pv = plan.preview;
    graph.push(
      `[v]trim=start_frame=${titleFrames}:end_frame=${titleFrames + pv.frames},setpts=PTS-STARTPTS,` +
        `scale=${pv.width}:${pv.height}:flags=bicubic,setsar=1,format=yuv420p[preview]`,
    );
  }
  const durationSec = (titleFrames + plan.frameCount) / fps;
  if (plan.soundtrack) {
    args.push('-stream_loop', '-1', '-i', plan.soundtrack.file);
    graph.push(soundtrackFilter(inputs, plan.soundtrack, durationSec));
    inputs++;
  }
  args.push('-filter_complex', graph.join(';'), '-filter_complex_threads', String(encoder.threads));
  // passthrough: a frame that fails to decode leaves a gap instead of a silent duplicate, so the
  // frame count at the end tells whether every frame made it.
  args.push('-map', '[out]', ...videoEncoderArgs(encoder, { width, height, fps }), '-fps_mode', 'passthrough');
  if (plan.soundtrack) args.push('-map', '[aout]', '-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '160k');
  else args.push('-an');
  args.push('-movflags', '+faststart', '-f', 'mp4', plan.output);
  args.push('-map', '[poster]', '-frames:v', '1', '-update', '1', '-c:v', 'mjpeg', '-q:v', '3', '-an', '-f', 'image2', plan.poster);
  if (plan.preview) {
    args.push(
      '-map',
      '[preview]',
      ...videoEncoderArgs(
        { preset: plan.preview.preset, crf: 28, threads: 1 },
        { width: plan.preview.width, height: plan.preview.height, fps },
      ),
      '-movflags',
      '+faststart',
      '-an',
      '-f',
      'mp4',
      plan.preview.output,
    );
  }
  return args;
}

/** `ffmpeg -hide_banner -encoders`: which encoders this build has. */
export function buildListEncodersArgs(): string[] {
  return ['-hide_banner', '-nostdin', '-encoders'];
}

/** Encoder names from `ffmpeg -encoders` (lines like ` V....D libx264   libx264 H.264 …`). */
export function parseEncoderList(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^\s*[VAS][A-Z.]{5}\s+(\S+)\s/.exec(line);
    if (m?.[1] && m[1] !== '=') names.add(m[1]);
  }
  return names;
}

/** A tiny test encode (half a second of 320×240) that tells whether an encoder really works here. */
export function buildEncoderTestArgs(e: EncoderSettings): string[] {
  const upload = encoderUpload(e);
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...encoderGlobalArgs(e),
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=320x240:r=10:d=0.5',
    '-vf',
    upload ? `format=yuv420p,${upload}` : 'format=yuv420p',
    ...videoEncoderArgs(e, { width: 320, height: 240, fps: 10 }),
    '-f',
    'null',
    '-',
  ];
}

/** Runs `command` so the kernel ends it when the processor dies (setpriv --pdeathsig), when setpriv exists. */
export function withParentDeathSignal(
  command: string,
  args: readonly string[],
  setpriv: string | null,
  signal = 'KILL',
): [string, string[]] {
  if (!setpriv) return [command, [...args]];
  return [setpriv, ['--pdeathsig', signal, '--', command, ...args]];
}

/** The preview: a few seconds of the film (no title) at a small size. */
export function previewSize(width: number, height: number): { width: number; height: number } {
  return outputSize(width, height, 480, 270);
}

/** Decodes every staged frame once and reports each one's size; frames that do not decode are absent. */
export function buildProbeFramesArgs(framesPattern: string): string[] {
  return [
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
    framesPattern,
    '-show_entries',
    'frame=best_effort_timestamp,width,height,pix_fmt',
    '-of',
    'json',
  ];
}

/** EXIF orientation (1–8) → the filters that show the picture upright; null when none are needed. */
export function orientationFilter(orientation: number): string | null {
  switch (orientation) {
    case 2:
      return 'hflip';
    case 3:
      return 'hflip,vflip';
    case 4:
      return 'vflip';
    case 5:
      return 'transpose=0';
    case 6:
      return 'transpose=1';
    case 7:
      return 'transpose=3';
    case 8:
      return 'transpose=2';
    default:
      return null;
  }
}

/** The pixel format ffmpeg decodes a JPEG with this chroma layout to (see JpegInfo.sampling). */
export function pixFmtForSampling(sampling: string): string {
  switch (sampling) {
    case '11':
      return 'gray';
    case '11,11,11':
      return 'yuvj444p';
    case '21,11,11':
      return 'yuvj422p';
    default:
      return 'yuvj420p';
  }
}

/**
 * Re-encodes one frame upright and at the film's frame size and pixel format. ffmpeg 5
 * neither turns EXIF-rotated JPEGs nor copes well with a frame size changing mid-stream
 * (the filter graph is rebuilt), so the few odd frames are normalised one by one.
 */
export function buildNormaliseArgs(o: {
  input: string;
  output: string;
  orientation: string | null;
  width: number;
  height: number;
  pixFmt: string;
}): string[] {
  const filters = [
    ...(o.orientation ? [o.orientation] : []),
    `scale=${o.width}:${o.height}:force_original_aspect_ratio=decrease`,
    `pad=${o.width}:${o.height}:(ow-iw)/2:(oh-ih)/2:color=black`,
    `format=${o.pixFmt}`,
  ];
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-i',
    o.input,
    '-vf',
    filters.join(','),
    '-q:v',
    '2',
    '-frames:v',
    '1',
    '-update',
    '1',
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    o.output,
  ];
}

/** An idle slide for the big screen while there are no films. */
export function buildIdleSlideArgs(opts: { width: number; height: number; background: string; line: TitleLine; output: string }): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=${opts.background}:s=${opts.width}x${opts.height}:d=1`,
    '-vf',
    drawtextFilter(opts.line),
    '-frames:v',
    '1',
    '-update',
    '1',
    '-f',
    'image2',
    '-c:v',
    'png',
    opts.output,
  ];
}
