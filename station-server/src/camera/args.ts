/**
 * Argument lists for the programs that act as cameras. Pure functions: what runs
 * is exactly what these return, spawned without a shell.
 */

export interface CameraSize {
  width: number;
  height: number;
  fps: number;
}

export interface Command {
  command: string;
  args: string[];
}

/**
 * What CAMERA_QUALITY means for a camera kind. rpicam-vid hands `-q` to libjpeg's
 * jpeg_set_quality (1–100, higher is better; rpicam-vid's own default of 50 is for
 * streaming, rpicam-still's 93 is for pictures, and every frame here is a picture).
 * The ffmpeg encoders (a USB webcam without MJPEG, test, replay) take `-q:v` 2–31,
 * lower is better. Figures: station-server/README.md, "Frame quality".
 */
export interface QualityScale {
  min: number;
  max: number;
  fallback: number;
  meaning: string;
}

export function qualityScale(kind: 'rpicam' | 'v4l2' | 'test' | 'replay'): QualityScale {
  switch (kind) {
    case 'rpicam':
      return { min: 1, max: 100, fallback: 93, meaning: "rpicam-vid's JPEG quality, 1–100, higher is better" };
    case 'v4l2':
      // A real camera's frames are the film: near-lossless for the eye.
      return { min: 2, max: 31, fallback: 3, meaning: "ffmpeg's MJPEG -q:v, 2–31, lower is better" };
    case 'test':
    case 'replay':
      // Simulated scenes for designers, tests and the demo: smaller frames are worth more.
      return { min: 2, max: 31, fallback: 6, meaning: "ffmpeg's MJPEG -q:v, 2–31, lower is better" };
  }
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** Values for `drawtext`/filter graphs must not break the filter syntax. */
function filterQuote(text: string): string {
  return text.replace(/[\\':,;[\]=]/g, (c) => `\\${c}`);
}

/** ffmpeg without prompts or chatter, reading its input at the input's own rate. */
const QUIET_REALTIME = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re'] as const;

/** MJPEG at `quality` on stdout, one write per frame so a frame never waits in ffmpeg's output buffer. */
function mjpegToStdout(quality: number): string[] {
  return ['-flush_packets', '1', '-q:v', String(quality), '-f', 'mjpeg', 'pipe:1'];
}

/**
 * The simulated set: a table top, a red block that moves in small steps like an
 * animated puppet, and the frame number and clock stamped on it, encoded as MJPEG
 * at the configured size and rate. About 10 % of one core at 1280×720@30.
 */
export function testCameraArgs(camera: CameraSize & { quality: number; font?: string; label?: string }): string[] {
  const font = filterQuote(camera.font ?? FONT);
  const block = Math.max(8, Math.round(camera.height / 4.5));
  const step = Math.max(2, Math.round(camera.width / 50));
  const fontSize = Math.max(10, Math.round(camera.height / 11));
  const clockSize = Math.max(8, Math.round(camera.height / 20));
  const label = camera.label
    ? `,drawtext=fontfile=${font}:text='${filterQuote(camera.label)}':x=w-tw-${Math.round(camera.width / 32)}:y=${Math.round(camera.height / 18)}:fontsize=${clockSize}:fontcolor=white`
    : '';
  const graph =
    `[0]drawbox=x=0:y=ih*0.7:w=iw:h=ih*0.3:color=0x4a7a3a:t=fill[bg];` +
    `[bg][1]overlay=x='${Math.round(camera.width / 12)}+mod(floor(t*6)*${step}\\,W-${block + Math.round(camera.width / 6)})':y='H*0.7-${Math.round(block * 0.9)}+${Math.round(block / 5)}*sin(floor(t*6)/2)',` +
    `drawtext=fontfile=${font}:text='%{n}':x=${Math.round(camera.width / 32)}:y=${Math.round(camera.height / 18)}:fontsize=${fontSize}:fontcolor=white:box=1:boxcolor=black@0.5,` +
    `drawtext=fontfile=${font}:text='%{localtime}':x=${Math.round(camera.width / 32)}:y=h-${Math.round(camera.height / 9)}:fontsize=${clockSize}:fontcolor=white${label}`;
  return [
    ...QUIET_REALTIME,
    '-f',
    'lavfi',
    '-i',
    `color=c=0x8a6a4a:s=${camera.width}x${camera.height}:r=${camera.fps},format=yuvj420p`,
    '-f',
    'lavfi',
    '-i',
    `color=c=0xd83a2e:s=${block}x${block}:r=${camera.fps}`,
    '-filter_complex',
    graph,
    ...mjpegToStdout(camera.quality),
  ];
}

/** A video file played as the camera, looping, re-encoded to MJPEG at the configured size. */
export function replayVideoArgs(camera: CameraSize & { source: string; quality: number }): string[] {
  return [
    ...QUIET_REALTIME,
    '-stream_loop',
    '-1',
    '-i',
    camera.source,
    '-an',
    '-vf',
    `scale=${camera.width}:${camera.height}:force_original_aspect_ratio=decrease,pad=${camera.width}:${camera.height}:(ow-iw)/2:(oh-ih)/2,fps=${camera.fps},format=yuvj420p`,
    ...mjpegToStdout(camera.quality),
  ];
}

/**
 * A USB webcam. With MJPEG the camera's own JPEGs are copied, never re-encoded; a
 * camera that offers only YUYV (many do at useful sizes) is encoded here at
 * CAMERA_QUALITY.
 */
export function v4l2Args(camera: CameraSize & { device: string; input: 'mjpeg' | 'yuyv422'; quality: number }): string[] {
  const head = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-f', 'v4l2', '-input_format', camera.input];
  head.push('-framerate', String(camera.fps), '-video_size', `${camera.width}x${camera.height}`, '-i', camera.device);
  const encode = camera.input === 'mjpeg' ? ['-c:v', 'copy'] : ['-vf', 'format=yuvj420p', '-c:v', 'mjpeg', '-q:v', String(camera.quality)];
  return [...head, ...encode, '-flush_packets', '1', '-f', 'mjpeg', 'pipe:1'];
}

/** Exposure, gain, white balance and focus held still so frames do not flicker. */
export interface LockedControls {
  shutterUs?: number | undefined;
  gain?: number | undefined;
  /** "red,blue" */
  awbGains?: string | undefined;
  lensPosition?: number | undefined;
}

/** The Pi camera as an MJPEG stream on stdout. */
export function rpicamArgs(camera: CameraSize & { quality?: number; flickerHz?: 50 | 60 | undefined; locked?: LockedControls }): string[] {
  const args = [
    '-t',
    '0',
    '-n',
    '--codec',
    'mjpeg',
    '--width',
    String(camera.width),
    '--height',
    String(camera.height),
    '--framerate',
    String(camera.fps),
  ];
  if (camera.quality !== undefined) args.push('-q', String(camera.quality));
  // Mains lighting flickers at twice its frequency (100 Hz on 50 Hz mains); exposure in
  // whole flicker periods hides it.
  if (camera.flickerHz) args.push('--flicker-period', flickerPeriod(camera.flickerHz));
  const l = camera.locked ?? {};
  if (l.shutterUs !== undefined) args.push('--shutter', `${Math.round(l.shutterUs)}us`);
  if (l.gain !== undefined) args.push('--gain', formatNumber(l.gain));
  if (l.awbGains !== undefined) args.push('--awbgains', l.awbGains);
  if (l.lensPosition !== undefined) args.push('--autofocus-mode', 'manual', '--lens-position', formatNumber(l.lensPosition));
  args.push('-o', '-');
  return args;
}

/** A short automatic run whose metadata tells the values to lock ("settle then lock"). */
export function rpicamSettleArgs(
  camera: CameraSize & { settleMs: number; metadataFile: string; flickerHz?: 50 | 60 | undefined },
): string[] {
  const args = ['-t', `${camera.settleMs}ms`, '-n', '--codec', 'mjpeg', '--width', String(camera.width), '--height', String(camera.height)];
  args.push('--framerate', String(camera.fps));
  if (camera.flickerHz) args.push('--flicker-period', flickerPeriod(camera.flickerHz));
  args.push('--metadata', camera.metadataFile, '--metadata-format', 'json', '-o', '/dev/null');
  return args;
}

/** The light of 50 Hz mains flickers at 100 Hz: a 10000 µs period. */
export function flickerPeriod(mainsHz: 50 | 60): string {
  return `${Math.round(1_000_000 / (2 * mainsHz))}us`;
}

function formatNumber(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/**
 * The controls the camera settled on, from `rpicam-vid --metadata-format json`
 * output (a JSON array of per-frame objects, or one object per line). The last
 * frame's values win. Null when nothing usable is found.
 */
export function lockedControlsFromMetadata(text: string): LockedControls | null {
  const frames: Array<Record<string, unknown>> = [];
  const trimmed = text.trim();
  const tryParse = (t: string): unknown => {
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  const whole = tryParse(trimmed.endsWith(',') ? `${trimmed.slice(0, -1)}]` : trimmed);
  const wholeFixed = whole === undefined && trimmed.startsWith('[') ? tryParse(`${trimmed.replace(/,\s*$/, '')}]`) : whole;
  if (Array.isArray(wholeFixed))
    frames.push(...wholeFixed.filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null));
  else if (wholeFixed && typeof wholeFixed === 'object') frames.push(wholeFixed as Record<string, unknown>);
  else {
    for (const line of trimmed.split('\n')) {
      const v = tryParse(line.trim().replace(/,$/, ''));
      if (v && typeof v === 'object' && !Array.isArray(v)) frames.push(v as Record<string, unknown>);
    }
  }
  const last = frames.at(-1);
  if (!last) return null;
  const out: LockedControls = {};
  const exposure = last.ExposureTime;
  if (typeof exposure === 'number' && exposure > 0) out.shutterUs = exposure;
  const gain = last.AnalogueGain;
  if (typeof gain === 'number' && gain > 0) out.gain = gain;
  const colour = last.ColourGains;
  if (Array.isArray(colour) && colour.length === 2 && colour.every((c) => typeof c === 'number' && c > 0)) {
    out.awbGains = `${formatNumber(colour[0] as number)},${formatNumber(colour[1] as number)}`;
  }
  const lens = last.LensPosition;
  if (typeof lens === 'number' && lens >= 0) out.lensPosition = lens;
  return Object.keys(out).length > 0 ? out : null;
}
