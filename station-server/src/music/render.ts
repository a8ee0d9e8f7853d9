import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '@stop-motion/kit';
import { TRACKS_FILE, type TracksFile, tracksFileSchema } from '@stop-motion/protocol';
import { pieceToMidi } from './midi.js';
import { PIECES, type Piece, secondsOf } from './pieces.js';

/**
 * Renders the default pieces to a tracks folder: MIDI → FluidSynth (WAV) → ffmpeg
 * (loudness-normalised Ogg/Opus, plus a short preview for the station's speaker).
 */

/** FluidR3_GM from Debian's fluid-soundfont-gm: MIT licensed, so the rendered tracks are free to use. */
export const DEFAULT_SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
export const SAMPLE_RATE = 48_000;
/** The last chord's release after the final beat, kept before the file ends. */
export const RELEASE_SECONDS = 1;
export const FADE_SECONDS = 1.5;
export const PREVIEW_SECONDS = 6;
/** EBU R128 integrated loudness of every track (the processor normalises the mix to the same). */
export const LOUDNESS_LUFS = -16;
export const AUTHOR = 'Stop Motion Stations';
export const LICENCE = 'CC0-1.0';

const PACKAGE_DIR = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
/** Where the build puts the default set: generated, never checked in. */
export const DEFAULT_TRACKS_DIR = path.join(PACKAGE_DIR, 'dist', 'default-tracks');
const STAMP_FILE = '.source-sha256';

/** Seconds the full track lasts. */
export const trackSeconds = (p: Piece) => secondsOf(p) + RELEASE_SECONDS;

export function fluidsynthArgs(options: { soundfont: string; midi: string; wav: string }): string[] {
  // -n -i: no MIDI input, no shell; -F: render as fast as possible to a file.
  return ['-n', '-i', '-q', '-F', options.wav, '-r', String(SAMPLE_RATE), '-T', 'wav', '-g', '0.5', options.soundfont, options.midi];
}

const opus = ['-ar', String(SAMPLE_RATE), '-ac', '2', '-c:a', 'libopus', '-b:a', '96k', '-vbr', 'on'];
const loudnorm = `loudnorm=I=${LOUDNESS_LUFS}:TP=-1.5:LRA=11`;

/** The whole piece: cut after its release (FluidSynth renders seconds of silence past the end), faded out. */
export function fullTrackArgs(options: { wav: string; out: string; seconds: number }): string[] {
  const s = options.seconds.toFixed(3);
  const fadeAt = (options.seconds - FADE_SECONDS).toFixed(3);
  const filter = `atrim=0:${s},${loudnorm},afade=t=out:st=${fadeAt}:d=${FADE_SECONDS}`;
  return ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', options.wav, '-af', filter, ...opus, '-t', s, options.out];
}

/** A few seconds from `from`, faded in and out so it never clicks. */
export function previewArgs(options: { wav: string; out: string; from: number }): string[] {
  const end = (options.from + PREVIEW_SECONDS).toFixed(3);
  const filter = `atrim=${options.from.toFixed(3)}:${end},asetpts=PTS-STARTPTS,${loudnorm},afade=t=in:d=0.05,afade=t=out:st=${PREVIEW_SECONDS - 1}:d=1`;
  return [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    options.wav,
    '-af',
    filter,
    ...opus,
    '-t',
    String(PREVIEW_SECONDS),
    options.out,
  ];
}

/** The tracks.json of the default set (pure). */
export function defaultTracksFile(pieces: readonly Piece[] = PIECES): TracksFile {
  return tracksFileSchema.parse({
    version: 1,
    tracks: pieces.map((p) => ({
      id: p.id,
      mood: p.mood,
      title: p.title,
      author: AUTHOR,
      licence: LICENCE,
      file: `${p.id}.opus`,
      preview: `${p.id}.preview.opus`,
    })),
  });
}

/** Runs a renderer to its end; what it said on stderr (fluidsynth and volumedetect report there). */
async function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return (await runProgram(command, args, { timeoutMs, stderrTailChars: 2000 })).stderr;
}

/** The first error FluidSynth printed, if any (pure). */
export function fluidsynthError(stderr: string): string | null {
  const line = stderr.split('\n').find((l) => /\berror\b|not a SoundFont/i.test(l));
  return line ? line.trim().slice(0, 300) : null;
}

/** Refuses a rendering that came out silent (peak below −60 dBFS). */
async function assertAudible(file: string, timeoutMs: number): Promise<void> {
  const said = await run(
    'ffmpeg',
    ['-nostdin', '-hide_banner', '-nostats', '-i', file, '-af', 'volumedetect', '-f', 'null', '-'],
    timeoutMs,
  );
  const peak = /max_volume: (-?[\d.]+|-inf) dB/.exec(said);
  const db = peak?.[1] === undefined || peak[1] === '-inf' ? -Infinity : Number(peak[1]);
  if (!(db > -60)) throw new Error(`${path.basename(file)} rendered silent (peak ${peak?.[1] ?? 'unknown'} dB)`);
}

/** What the set is made from: a change to any piece or to the renderer rebuilds it. */
function sourceHash(soundfont: string): string {
  const h = createHash('sha256');
  const dir = path.dirname(fileURLToPath(import.meta.url));
  for (const f of ['pieces', 'midi', 'notation', 'render']) {
    for (const ext of ['.ts', '.js']) {
      const file = path.join(dir, f + ext);
      if (existsSync(file)) h.update(readFileSync(file));
    }
  }
  return h.update(soundfont).digest('hex');
}

export interface BuildOptions {
  outDir?: string;
  soundfont?: string;
  pieces?: readonly Piece[];
  /** Deadline for each FluidSynth or ffmpeg run. */
  timeoutMs?: number;
}

/**
 * Renders every piece into `outDir` (MIDI, full track, preview, tracks.json). Built
 * in a temp folder beside it and renamed into place, so a killed build leaves either
 * the old set or the new one.
 */
export async function buildDefaultTracks(options: BuildOptions = {}): Promise<string> {
  const outDir = options.outDir ?? DEFAULT_TRACKS_DIR;
  const soundfont = options.soundfont ?? DEFAULT_SOUNDFONT;
  const pieces = options.pieces ?? PIECES;
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (!existsSync(soundfont))
    throw new Error(`soundfont ${soundfont} is missing (Debian package fluid-soundfont-gm; npm run bootstrap installs it)`);
  await mkdir(path.dirname(outDir), { recursive: true });
  const work = await mkdtemp(path.join(path.dirname(outDir), `.${path.basename(outDir)}.tmp-`));
  try {
    for (const p of pieces) {
      const midi = path.join(work, `${p.id}.mid`);
      const wav = path.join(work, `${p.id}.wav`);
      await writeFile(midi, pieceToMidi(p));
      const said = await run('fluidsynth', fluidsynthArgs({ soundfont, midi, wav }), timeoutMs);
      // FluidSynth exits 0 when it cannot read the soundfont, and renders with its
      // built-in default one (or silence) instead: its own error lines are the signal.
      const error = fluidsynthError(said);
      if (error) throw new Error(`fluidsynth could not render ${p.id}: ${error}`);
      await assertAudible(wav, timeoutMs);
      await run('ffmpeg', fullTrackArgs({ wav, out: path.join(work, `${p.id}.opus`), seconds: trackSeconds(p) }), timeoutMs);
      await run(
        'ffmpeg',
        previewArgs({ wav, out: path.join(work, `${p.id}.preview.opus`), from: (p.previewFrom * 60) / p.bpm }),
        timeoutMs,
      );
      await rm(wav);
    }
    await writeFile(path.join(work, TRACKS_FILE), `${JSON.stringify(defaultTracksFile(pieces), null, 2)}\n`);
    await writeFile(path.join(work, STAMP_FILE), sourceHash(soundfont));
    // mkdtemp makes it private; the station and rsync read it as a plain folder.
    await chmod(work, 0o755);
    const old = `${work}.old`;
    if (existsSync(outDir)) await rename(outDir, old);
    await rename(work, outDir);
    await rm(old, { recursive: true, force: true });
    return outDir;
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** Builds the default set when it is missing or was made from other sources; returns its folder. */
export async function ensureDefaultTracks(options: BuildOptions = {}): Promise<string> {
  const outDir = options.outDir ?? DEFAULT_TRACKS_DIR;
  const want = sourceHash(options.soundfont ?? DEFAULT_SOUNDFONT);
  const have = await readFile(path.join(outDir, STAMP_FILE), 'utf8').catch(() => null);
  if (have === want && existsSync(path.join(outDir, TRACKS_FILE))) return outDir;
  return buildDefaultTracks(options);
}
