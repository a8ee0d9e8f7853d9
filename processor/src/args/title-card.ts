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

export function titleFrameCount(seconds: number, fps: number): number {
  return Math.round(seconds * fps);
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
 * the logo. The card is drawn once, on the first colour frame, and that frame is repeated for
 * the card's length: drawtext (with shaping) and the overlay run once, not once per frame.
 */
export function titleFilter(card: TitleCard, height: number, fps: number): string {
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
  return `${chain[0]},setsar=1,${hold}[title]`;
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
