/** Sizes and the per-frame passes: letterbox, preview size, the decode probe, EXIF orientation, normalising odd frames. */

import { FFMPEG_QUIET } from './spawn.js';

/** Output size for frames of `width`×`height`: fits the maximum, keeps the aspect ratio, even. */
export function outputSize(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  return { width: even(Math.round(width * scale)), height: even(Math.round(height * scale)) };
}

export function letterbox(width: number, height: number): string {
  return (
    `scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=bicubic,` +
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1`
  );
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
export function buildNormaliseArgs(spec: {
  input: string;
  output: string;
  orientation: string | null;
  width: number;
  height: number;
  pixFmt: string;
}): string[] {
  const filters = [
    ...(spec.orientation ? [spec.orientation] : []),
    `scale=${spec.width}:${spec.height}:force_original_aspect_ratio=decrease`,
    `pad=${spec.width}:${spec.height}:(ow-iw)/2:(oh-ih)/2:color=black`,
    `format=${spec.pixFmt}`,
  ];
  return [...FFMPEG_QUIET, '-i', spec.input, '-vf', filters.join(','), '-q:v', '2', ...singleImageOutput('mjpeg', spec.output)];
}

/** One picture written to `output` (image2 with -update, so the name is not a pattern). */
export function singleImageOutput(codec: 'mjpeg' | 'png', output: string): string[] {
  return ['-frames:v', '1', '-update', '1', '-f', 'image2', '-c:v', codec, output];
}
