/**
 * The poster and the preview: branches of the film's one pass (taken after the concat, so
 * no decoded frame waits there) and their outputs.
 */
import { videoEncoderArgs } from './encoder-args.js';

export interface PreviewPlan {
  output: string;
  width: number;
  height: number;
  /** Film frames in the preview (the title is left out). */
  frames: number;
  preset: string;
}

/** The poster branch: the middle film frame, full range for MJPEG; `before` frames (the title card's) come first. */
export function posterBranch(input: string, before: number, frameCount: number): string {
  const at = before + Math.floor(frameCount / 2);
  return `[${input}]trim=start_frame=${at}:end_frame=${at + 1},format=yuvj420p[poster]`;
}

/** The preview branch: the first film frames after the `before` frames of the title, scaled down. */
export function previewBranch(input: string, before: number, pv: PreviewPlan): string {
  return (
    `[${input}]trim=start_frame=${before}:end_frame=${before + pv.frames},setpts=PTS-STARTPTS,` +
    `scale=${pv.width}:${pv.height}:flags=bicubic,setsar=1,format=yuv420p[preview]`
  );
}

export function posterOutputArgs(poster: string): string[] {
  return ['-map', '[poster]', '-frames:v', '1', '-update', '1', '-c:v', 'mjpeg', '-q:v', '3', '-an', '-f', 'image2', poster];
}

/** The preview is libx264 at crf 28 on one thread, silent, whatever encodes the film. */
export function previewOutputArgs(pv: PreviewPlan, fps: number): string[] {
  return [
    '-map',
    '[preview]',
    ...videoEncoderArgs({ preset: pv.preset, crf: 28, threads: 1 }, { width: pv.width, height: pv.height, fps }),
    '-movflags',
    '+faststart',
    '-an',
    '-f',
    'mp4',
    pv.output,
  ];
}
