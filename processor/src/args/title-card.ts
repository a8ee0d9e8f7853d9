/** The title card and the idle slide: drawtext lines read from text files, drawn once and held. */

import { singleImageOutput } from './frames.js';
import { FFMPEG_QUIET } from './spawn.js';

/** Escapes a value for a filter option (level 1) and then for the filtergraph (level 2). */
export function escapeFilterValue(value: string): string {
  const level1 = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return level1.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
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

/** The card's length in frame intervals of the film. */
export function titleFrameCount(seconds: number, fps: number): number {
  return Math.round(seconds * fps);
}

/** Frames the card takes in the film's stream: one, shown for the card's whole length. */
export const TITLE_STREAM_FRAMES = 1;

/**
 * Timestamps after the concat of the card and the frames: the card's one frame at 0, film
 * frame k at (card length + k) / fps, so the film stream is variable-rate only at the
 * card. Held as repeated frames instead, the card cost x264 about 10 ms of CPU per frame
 * at 720p for pictures that never change (about 0.3 s per film, 4 % of a 100-frame
 * encode), and every player shows one frame held the same.
 */
export function titleTiming(card: TitleCard, fps: number): string {
  const hold = Math.max(1, titleFrameCount(card.seconds, fps));
  return `setpts=if(eq(N\\,0)\\,0\\,(N-1+${hold})/(${fps}*TB))`;
}

export function drawtextFilter(line: TitleLine): string {
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
 * the logo. The card is one frame, drawn on the first colour frame: drawtext (with shaping)
 * and the overlay run once. `titleTiming` holds it for the card's length.
 */
export function titleFilter(card: TitleCard, height: number): string {
  const text = card.lines.map(drawtextFilter);
  const chain = [`[1:v]${['trim=end_frame=1', 'format=yuv420p', ...text].join(',')}`];
  if (card.logoFile) {
    const logoHeight = Math.max(2, Math.floor(height / 5 / 2) * 2);
    return (
      `${chain[0]}[bg];` +
      `[2:v]scale=-2:${logoHeight}[logo];` +
      `[bg][logo]overlay=x=(W-w)/2:y=H*0.04:eof_action=repeat:format=auto,format=yuv420p,setsar=1[title]`
    );
  }
  return `${chain[0]},setsar=1[title]`;
}

/** An idle slide for the big screen while there are no films. */
export function buildIdleSlideArgs(opts: { width: number; height: number; background: string; line: TitleLine; output: string }): string[] {
  return [
    ...FFMPEG_QUIET,
    '-f',
    'lavfi',
    '-i',
    `color=c=${opts.background}:s=${opts.width}x${opts.height}:d=1`,
    '-vf',
    drawtextFilter(opts.line),
    ...singleImageOutput('png', opts.output),
  ];
}
