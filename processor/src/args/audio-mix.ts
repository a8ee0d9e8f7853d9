/** The soundtrack: its measuring pass and its mix under the film (EBU R128 gain, peak limiter, fades). */

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
