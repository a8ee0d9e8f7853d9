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

export interface EncoderSettings {
  preset: string;
  crf: number;
  threads: number;
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

function h264(e: EncoderSettings): string[] {
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

/** The title card as a filter chain ending in `[title]`; input 1 is the lavfi colour, input 2 the logo. */
export function titleFilter(card: TitleCard, width: number, height: number): string {
  const text = card.lines.map(drawtextFilter);
  const chain = [`[1:v]${['format=yuv420p', ...text].join(',')}`];
  if (card.logoFile) {
    const logoHeight = Math.max(2, Math.floor(height / 5 / 2) * 2);
    return (
      `${chain[0]}[bg];` +
      `[2:v]scale=-2:${logoHeight}[logo];` +
      `[bg][logo]overlay=x=(W-w)/2:y=H*0.04:eof_action=repeat:format=auto,format=yuv420p,setsar=1[title]`
    );
  }
  void width;
  return `${chain[0]},setsar=1[title]`;
}

/**
 * The whole film in one ffmpeg pass: title card + letterboxed frames → movie.mp4.
 * (Poster and preview are small passes of their own: branching them off this graph
 * makes ffmpeg queue decoded frames at the concat while the title is encoded.)
 */
export function buildRenderArgs(plan: RenderPlan): string[] {
  const { width, height, fps } = plan;
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-stats_period', '0.5'];
  args.push('-framerate', String(fps), '-start_number', '0', '-f', 'image2', '-i', plan.framesPattern);
  const graph: string[] = [`[0:v]${letterbox(width, height)},format=yuv420p[film]`];
  if (plan.title && plan.title.seconds > 0) {
    const t = plan.title;
    args.push('-f', 'lavfi', '-i', `color=c=${t.background}:s=${width}x${height}:r=${fps}:d=${t.seconds}`);
    if (t.logoFile) args.push('-i', t.logoFile);
    graph.push(titleFilter(t, width, height));
    graph.push('[title][film]concat=n=2:v=1:a=0[out]');
  } else {
    graph.push('[film]null[out]');
  }
  args.push('-filter_complex', graph.join(';'), '-filter_complex_threads', String(plan.encoder.threads));
  // passthrough: a frame that fails to decode leaves a gap instead of a silent duplicate, so the
  // frame count at the end tells whether every frame made it.
  args.push('-map', '[out]', ...h264(plan.encoder), '-fps_mode', 'passthrough', '-movflags', '+faststart', '-an', '-f', 'mp4', plan.output);
  return args;
}

/** poster.jpg: one staged frame, letterboxed to the film's size. */
export function buildPosterArgs(o: { input: string; output: string; width: number; height: number }): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-i',
    o.input,
    '-vf',
    `${letterbox(o.width, o.height)},format=yuvj420p`,
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
    o.output,
  ];
}

/** preview.mp4: the first seconds of the frames (no title), small, for the gallery's list. */
export function buildPreviewArgs(o: {
  framesPattern: string;
  fps: number;
  frames: number;
  width: number;
  height: number;
  preset: string;
  output: string;
}): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-framerate',
    String(o.fps),
    '-start_number',
    '0',
    '-f',
    'image2',
    '-i',
    o.framesPattern,
    '-frames:v',
    String(o.frames),
    '-vf',
    `${letterbox(o.width, o.height)},format=yuv420p`,
    '-c:v',
    'libx264',
    '-profile:v',
    'high',
    '-preset',
    o.preset,
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
    o.output,
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
