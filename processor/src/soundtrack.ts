import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeIssues, isValidId, TRACKS_FILE, tracksFileSchema } from '@stop-motion/protocol';
import {
  buildLoudnessProbeArgs,
  LOUDNESS_TARGET,
  type LoudnessMeasure,
  loudnessGainDb,
  parseLoudnessSummary,
  type SoundtrackMix,
} from './args.js';
import { runTool } from './ffmpeg.js';
import { errorMessage } from './files.js';

const MAX_TRACKS_FILE_BYTES = 256 * 1024;
const MAX_TRACK_BYTES = 100 * 1024 * 1024;
/** Quieter than this the track is taken for silence (the R128 absolute gate is −70 LUFS). */
const SILENT_BELOW_LUFS = -60;

export type SoundtrackLookup = { ok: true; file: string; title: string } | { ok: false; reason: string };

async function readSmallFile(file: string, max: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(max + 1);
    const { bytesRead } = await handle.read(buf, 0, max + 1, 0);
    if (bytesRead > max) throw new Error(`larger than ${max} bytes`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Finds track `id` in `<tracksDir>/tracks.json`; every way it can be missing or wrong has its reason. */
export async function lookupTrack(tracksDir: string, id: string): Promise<SoundtrackLookup> {
  if (!isValidId(id)) return { ok: false, reason: 'the soundtrack id is not a valid id' };
  const index = path.join(tracksDir, TRACKS_FILE);
  let text: string;
  try {
    text = await readSmallFile(index, MAX_TRACKS_FILE_BYTES);
  } catch (err) {
    return { ok: false, reason: `${TRACKS_FILE} cannot be read in ${tracksDir}: ${errorMessage(err)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: `${TRACKS_FILE} is not valid JSON` };
  }
  const parsed = tracksFileSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `${TRACKS_FILE} does not match the schema: ${describeIssues(parsed.error)}` };
  const track = parsed.data.tracks.find((t) => t.id === id);
  if (!track) return { ok: false, reason: `no track ${id} in ${TRACKS_FILE}` };
  // trackFileSchema allows plain names only, so the file stays inside the folder.
  const file = path.join(tracksDir, track.file);
  try {
    const st = await stat(file);
    if (!st.isFile()) return { ok: false, reason: `track file ${track.file} is not a regular file` };
    if (st.size === 0) return { ok: false, reason: `track file ${track.file} is empty` };
    if (st.size > MAX_TRACK_BYTES) return { ok: false, reason: `track file ${track.file} is larger than ${MAX_TRACK_BYTES} bytes` };
  } catch (err) {
    return { ok: false, reason: `track file ${track.file} is missing: ${errorMessage(err)}` };
  }
  return { ok: true, file, title: track.title };
}

/**
 * The measuring pass of the two-pass loudness normalisation, over exactly the part of the
 * track the film uses (looped when shorter). It also proves the track decodes: a broken
 * file fails here, before the film's pass, and the film is made silent instead.
 */
export async function measureLoudness(
  file: string,
  durationSec: number,
  opts: { timeoutMs: number; nice: number; signal?: AbortSignal | undefined },
  gainDb: number | null = null,
): Promise<{ ok: true; loudness: LoudnessMeasure } | { ok: false; reason: string }> {
  let stderr: string;
  try {
    ({ stderrTail: stderr } = await runTool('ffmpeg', buildLoudnessProbeArgs(file, durationSec, gainDb), { ...opts, keepLines: 40 }));
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const tail = (err as { stderrTail?: string }).stderrTail?.split('\n').at(-1) ?? '';
    return {
      ok: false,
      reason: `the track does not decode: ${errorMessage(err)}${tail && !errorMessage(err).includes(tail) ? ` (${tail})` : ''}`,
    };
  }
  const loudness = parseLoudnessSummary(stderr);
  if (!loudness) return { ok: false, reason: 'the track gave no loudness measurement (no audio decoded)' };
  if (loudness.integrated < SILENT_BELOW_LUFS || !Number.isFinite(loudness.truePeak))
    return { ok: false, reason: `the track is silent (${loudness.integrated} LUFS)` };
  return { ok: true, loudness };
}

/** Track lookup and measurement: a mix for the film's pass, or the reason the film is silent. */
export async function prepareSoundtrack(
  tracksDir: string,
  id: string,
  durationSec: number,
  opts: { timeoutMs: number; nice: number; signal?: AbortSignal | undefined },
): Promise<{ ok: true; mix: SoundtrackMix } | { ok: false; reason: string }> {
  const found = await lookupTrack(tracksDir, id);
  if (!found.ok) return found;
  const measured = await measureLoudness(found.file, durationSec, opts);
  if (!measured.ok) return { ok: false, reason: `track ${id} (${path.basename(found.file)}): ${measured.reason}` };
  let gainDb = loudnessGainDb(measured.loudness);
  // Peaks the gain would push over the limit are held by the limiter, which also lowers the
  // loudness of a track whose loudness is in its peaks: measured once more through the gain
  // and the limiter, the shortfall is added (up to 6 dB).
  if (measured.loudness.truePeak + gainDb > LOUDNESS_TARGET.truePeak) {
    const limited = await measureLoudness(found.file, durationSec, opts, gainDb);
    if (limited.ok) gainDb = Math.round((gainDb + Math.min(6, Math.max(0, loudnessGainDb(limited.loudness)))) * 100) / 100;
  }
  return { ok: true, mix: { file: found.file, loudness: measured.loudness, gainDb } };
}
