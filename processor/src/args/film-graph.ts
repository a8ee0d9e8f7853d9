/** The film's one ffmpeg pass: inputs, the filter graph (title + frames → split), and its outputs. */
import { type SoundtrackMix, soundtrackFilter } from './audio-mix.js';
import { type EncoderSettings, encoderGlobalArgs, encoderUpload, videoEncoderArgs } from './encoder-args.js';
import { letterbox } from './frames.js';
import { type PreviewPlan, posterBranch, posterOutputArgs, previewBranch, previewOutputArgs } from './side-outputs.js';
import { FFMPEG_QUIET } from './spawn.js';
import { TITLE_STREAM_FRAMES, type TitleCard, titleFilter, titleFrameCount, titleTiming } from './title-card.js';

export type { PreviewPlan } from './side-outputs.js';

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

/**
 * The whole film in one ffmpeg pass, each frame decoded once: title card (one frame, held
 * for its length) + letterboxed frames are concatenated, then split to movie.mp4 (with the
 * soundtrack, when there is one), poster.jpg (the middle frame) and preview.mp4 (the first
 * seconds, no title, small, silent). The split comes after the concat on purpose: a branch
 * taken before it would queue decoded frames at the concat while the title card is encoded.
 */
export function buildRenderArgs(plan: RenderPlan): string[] {
  const { width, height, fps, encoder } = plan;
  const args = [...FFMPEG_QUIET, '-progress', 'pipe:1', '-stats_period', '0.5'];
  args.push(...encoderGlobalArgs(encoder));
  args.push('-framerate', String(fps), '-start_number', '0', '-f', 'image2', '-i', plan.framesPattern);
  let inputs = 1;
  const graph: string[] = [];
  const titled = plan.title !== null && plan.title.seconds > 0;
  // The card's length in frame intervals, and the frames it takes in the stream (one).
  const titleFrames = titled && plan.title ? Math.max(1, titleFrameCount(plan.title.seconds, fps)) : 0;
  const titleStreamFrames = titled ? TITLE_STREAM_FRAMES : 0;
  if (titled && plan.title) {
    const t = plan.title;
    args.push('-f', 'lavfi', '-i', `color=c=${t.background}:s=${width}x${height}:r=${fps}:d=${t.seconds}`);
    inputs++;
    if (t.logoFile) {
      args.push('-i', t.logoFile);
      inputs++;
    }
    graph.push(`[0:v]${letterbox(width, height)},format=yuv420p[frames]`);
    graph.push(titleFilter(t, height));
    graph.push(`[title][frames]concat=n=2:v=1:a=0,${titleTiming(t, fps)}[all]`);
  } else {
    graph.push(`[0:v]${letterbox(width, height)},format=yuv420p[all]`);
  }
  const branches = plan.preview ? 3 : 2;
  const upload = encoderUpload(encoder);
  graph.push(`[all]split=${branches}[${upload ? 'film' : 'out'}][p]${plan.preview ? '[v]' : ''}`);
  if (upload) graph.push(`[film]${upload}[out]`);
  graph.push(posterBranch('p', titleStreamFrames, plan.frameCount));
  if (plan.preview) graph.push(previewBranch('v', titleStreamFrames, plan.preview));
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
  args.push(...posterOutputArgs(plan.poster));
  if (plan.preview) args.push(...previewOutputArgs(plan.preview, fps));
  return args;
}
