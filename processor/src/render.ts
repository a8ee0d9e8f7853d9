import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  buildRenderArgs,
  outputSize,
  previewSize,
  type RenderPlan,
  type SoundtrackMix,
  TITLE_STREAM_FRAMES,
  titleFrameCount,
  type VideoEncoder,
} from './args.js';
import { type EncoderChoice, resolveEncoder } from './encoder.js';
import { type FfmpegProgress, runTool, ToolError } from './ffmpeg.js';
import { errorMessage, fsyncDir, fsyncFile, renameDurable } from './files.js';
import type { Logger } from './log.js';
import { prepareSoundtrack } from './soundtrack.js';
import { probeStagedFrames, STAGED_PATTERN, stageFrames } from './staging.js';
import { prepareTitleCard } from './title.js';
import type { DroppedFrame, GoodFrame } from './validate.js';
import { dominantSize } from './validate.js';

export interface RenderInput {
  workDir: string;
  packageDir: string;
  frames: GoodFrame[];
  fps: number;
  /** The size the manifest states, when it does. */
  nominal: { width: number; height: number } | null;
  title: {
    eventName: string;
    title: string | null;
    stationId: string;
    date: string;
    seconds: number;
    fontFile: string;
    fontFileBold: string;
    logoFile?: string | undefined;
  };
  maxWidth: number;
  maxHeight: number;
  encoder: { preset: string; crf: number; threads: number; choice?: EncoderChoice | undefined; vaapiDevice?: string | undefined };
  /** The manifest's track id and the folder with tracks.json; null = a silent film. */
  soundtrack?: { tracksDir: string; id: string } | null | undefined;
  preview: boolean;
  nice: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Where the running tool's pid is noted, so a restart after a crash can end an orphaned ffmpeg. */
  pidFile?: string | undefined;
  onProgress?: (fraction: number) => void;
  /** Why a film lost its sound or its hardware encoder. */
  log?: Pick<Logger, 'info' | 'warn'> | undefined;
  id?: string | undefined;
}

export interface RenderResult {
  movie: string;
  poster: string;
  preview: string | null;
  frameCount: number;
  width: number;
  height: number;
  durationSec: number;
  dropped: DroppedFrame[];
  /** The film carries the soundtrack (one AAC stream). */
  audio: boolean;
  encoder: VideoEncoder;
}

/**
 * Stages and checks the frames, then renders title + film, poster and preview (and the
 * soundtrack mix) in one ffmpeg pass into `<workDir>/out/`. Nothing is moved into place here.
 * Sound and a hardware encoder are extras: when either fails the film is made without it.
 */
export async function renderFilm(input: RenderInput): Promise<RenderResult | { failed: string; dropped: DroppedFrame[] }> {
  const framesDir = path.join(input.workDir, 'frames');
  const notePid = input.pidFile ? (pid: number) => void writeFile(input.pidFile as string, String(pid)).catch(() => {}) : undefined;
  const toolOpts = { timeoutMs: Math.min(input.timeoutMs, 120_000), nice: input.nice, signal: input.signal, onSpawn: notePid };
  const id = input.id;
  let frames = input.frames;
  const dropped: DroppedFrame[] = [];
  dropped.push(...(await stageFrames(input.packageDir, framesDir, frames, toolOpts)));
  frames = frames.filter((f) => !dropped.some((d) => d.file === f.file));
  if (frames.length === 0) return { failed: 'no frame could be prepared', dropped };
  const natural = input.nominal ?? dominantSize(frames);
  const { width, height } = outputSize(natural.width, natural.height, input.maxWidth, input.maxHeight);
  const outDir = path.join(input.workDir, 'out');
  const card =
    input.title.seconds > 0 ? await prepareTitleCard(path.join(input.workDir, 'title'), { ...input.title, width, height }) : null;
  if (card?.logoFile) {
    try {
      await access(card.logoFile);
    } catch {
      card.logoFile = undefined;
    }
  }
  // The card lasts titleFrames frame intervals and is one frame of the stream.
  const titleFrames = card ? Math.max(1, titleFrameCount(card.seconds, input.fps)) : 0;
  const titleStreamFrames = card ? TITLE_STREAM_FRAMES : 0;
  const small = previewSize(width, height);
  const decision = await resolveEncoder(input.encoder.choice ?? 'libx264', {
    vaapiDevice: input.encoder.vaapiDevice,
    nice: input.nice,
    onProbed: (d) => input.log?.info({ event: 'render.encoder_probed', encoder: d.kind, passedOver: d.reasons }, 'render encoder probed'),
  });
  let kind: VideoEncoder = decision.kind;
  let mix: SoundtrackMix | null = null;
  if (input.soundtrack) {
    const prepared = await prepareSoundtrack(
      input.soundtrack.tracksDir,
      input.soundtrack.id,
      (titleFrames + frames.length) / input.fps,
      toolOpts,
    );
    if (prepared.ok) mix = prepared.mix;
    else input.log?.warn({ event: 'render.silent', id, soundtrack: input.soundtrack.id, reason: prepared.reason }, 'render silent');
  }
  const movie = path.join(outDir, 'movie.mp4');
  const poster = path.join(outDir, 'poster.jpg');
  const preview = input.preview ? path.join(outDir, 'preview.mp4') : null;
  const planFor = (count: number): RenderPlan => ({
    framesPattern: path.join(framesDir, STAGED_PATTERN),
    frameCount: count,
    fps: input.fps,
    width,
    height,
    title: card,
    encoder: { ...input.encoder, kind },
    output: movie,
    poster,
    preview: preview ? { output: preview, ...small, frames: Math.min(count, input.fps * 3), preset: input.encoder.preset } : null,
    soundtrack: mix,
  });
  const encodeOnce = async (count: number): Promise<number> => {
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const total = titleStreamFrames + count;
    let written = 0;
    await runTool('ffmpeg', buildRenderArgs(planFor(count)), {
      timeoutMs: input.timeoutMs,
      nice: input.nice,
      signal: input.signal,
      keepLines: 30,
      onSpawn: notePid,
      onProgress: (p: FfmpegProgress) => {
        written = p.frame;
        input.onProgress?.(p.done ? 1 : Math.min(0.99, p.frame / total));
      },
    });
    return written - titleStreamFrames;
  };
  const failure = (err: unknown) =>
    err instanceof ToolError && err.stderrTail ? err.stderrTail.split('\n').slice(-3).join(' | ') : errorMessage(err);
  // A failed pass is tried again without the hardware encoder, then without the sound; each
  // is blamed (logged) only when the film then renders without it.
  const encode = async (count: number): Promise<number> => {
    try {
      return await encodeOnce(count);
    } catch (err) {
      if (!(err instanceof ToolError && err.kind === 'exit')) throw err;
      if (kind !== 'libx264') {
        const failed = kind;
        kind = 'libx264';
        const n = await encode(count);
        input.log?.warn(
          { event: 'render.encoder_fallback', id, encoder: failed, fallback: 'libx264', reason: failure(err) },
          'render encoder fallback',
        );
        return n;
      }
      if (mix) {
        const saved = mix;
        mix = null;
        try {
          const n = await encodeOnce(count);
          input.log?.warn(
            { event: 'render.silent', id, soundtrack: input.soundtrack?.id, reason: `the mix failed: ${failure(err)}` },
            'render silent',
          );
          return n;
        } catch {
          mix = saved;
        }
      }
      throw err;
    }
  };
  // Optimistic: the render itself decodes every frame once. Only when frames go missing
  // are they probed one decode each, left out, and the film rendered again.
  let encoded: number | null = null;
  let firstError: unknown = null;
  try {
    encoded = await encode(frames.length);
  } catch (err) {
    // An undecodable first frame can stop ffmpeg outright; the probe below finds out.
    if (err instanceof ToolError && err.kind !== 'exit') throw err;
    firstError = err;
  }
  if (encoded !== frames.length) {
    const decoded = await probeStagedFrames(framesDir, frames.length, toolOpts);
    const keep: GoodFrame[] = [];
    frames.forEach((f, i) => {
      if (decoded.has(i)) keep.push(f);
      else dropped.push({ file: f.file, reason: 'does not decode' });
    });
    if (keep.length === 0) return { failed: 'no frame decodes', dropped };
    if (keep.length === frames.length)
      throw firstError ?? new Error(`ffmpeg wrote ${encoded} of ${frames.length} frames, yet every frame decodes`);
    frames = keep;
    dropped.push(...(await stageFrames(input.packageDir, framesDir, frames, toolOpts)));
    const again = await encode(frames.length);
    if (again !== frames.length) throw new Error(`ffmpeg wrote ${again} of ${frames.length} frames`);
  }
  const total = titleFrames + frames.length;
  for (const file of [movie, poster, preview]) {
    if (!file) continue;
    const st = await stat(file);
    if (st.size === 0) throw new Error(`ffmpeg wrote an empty ${path.basename(file)}`);
    await fsyncFile(file);
  }
  return {
    movie,
    poster,
    preview,
    frameCount: frames.length,
    width,
    height,
    durationSec: total / input.fps,
    dropped,
    audio: mix !== null,
    encoder: kind,
  };
}

/** Moves a finished render into `<films>/<id>/` in one rename, replacing a leftover of an interrupted run. */
export async function publishLocally(outDir: string, filmDir: string): Promise<void> {
  await rm(filmDir, { recursive: true, force: true });
  await mkdir(path.dirname(filmDir), { recursive: true });
  await fsyncDir(outDir);
  await renameDurable(outDir, filmDir);
}
