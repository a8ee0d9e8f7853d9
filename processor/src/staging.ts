import { link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildNormaliseArgs, buildProbeFramesArgs, orientationFilter, pixFmtForSampling } from './args.js';
import { runTool } from './ffmpeg.js';
import type { DroppedFrame, GoodFrame } from './validate.js';
import { uprightSize } from './validate.js';

// Staging: the package's good frames laid out for the image2 demuxer, each decoded once
// before the one render pass, so a frame ffmpeg cannot read is dropped with its reason.

export const STAGED_PATTERN = '%06d.jpg';

export function stagedName(index: number): string {
  return `${String(index).padStart(6, '0')}.jpg`;
}

/** The size and chroma layout most frames share; the others are normalised to it. */
export function referenceFormat(frames: readonly GoodFrame[]): { width: number; height: number; sampling: string } {
  const counts = new Map<string, number>();
  for (const f of frames) {
    const s = uprightSize(f.info);
    const key = `${s.width}x${s.height}/${f.info.sampling}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '2x2/22,11,11';
  const [size = '2x2', sampling = '22,11,11'] = best.split('/');
  const [w, h] = size.split('x').map(Number);
  return { width: w ?? 2, height: h ?? 2, sampling };
}

/**
 * Lays the good frames out as 000000.jpg, 000001.jpg, … (hard links) so the image2
 * demuxer sees no gap after dropped frames; EXIF-rotated frames and frames of another
 * size or chroma layout are re-encoded to match the rest.
 */
export async function stageFrames(
  packageDir: string,
  framesDir: string,
  frames: readonly GoodFrame[],
  opts: { timeoutMs: number; nice: number; signal?: AbortSignal | undefined; onSpawn?: ((pid: number) => void) | undefined },
): Promise<DroppedFrame[]> {
  await rm(framesDir, { recursive: true, force: true });
  await mkdir(framesDir, { recursive: true });
  const ref = referenceFormat(frames);
  const dropped: DroppedFrame[] = [];
  let index = 0;
  for (const frame of frames) {
    const source = path.join(packageDir, frame.file);
    const target = path.join(framesDir, stagedName(index));
    const orientation = orientationFilter(frame.info.orientation);
    const upright = uprightSize(frame.info);
    const odd =
      orientation !== null || upright.width !== ref.width || upright.height !== ref.height || frame.info.sampling !== ref.sampling;
    try {
      if (odd) {
        const args = buildNormaliseArgs({
          input: source,
          output: target,
          orientation,
          width: ref.width,
          height: ref.height,
          pixFmt: pixFmtForSampling(ref.sampling),
        });
        await runTool('ffmpeg', args, { timeoutMs: opts.timeoutMs, nice: opts.nice, signal: opts.signal, onSpawn: opts.onSpawn });
      } else {
        await link(source, target);
      }
      index++;
    } catch (err) {
      dropped.push({ file: frame.file, reason: `cannot be prepared: ${(err as Error).message}` });
    }
  }
  return dropped;
}

interface ProbedFrame {
  best_effort_timestamp?: number;
  width?: number;
  height?: number;
}

/** Decodes every staged frame once; returns the staged indexes that decoded. */
export async function probeStagedFrames(
  framesDir: string,
  count: number,
  opts: { timeoutMs: number; nice: number; signal?: AbortSignal | undefined },
): Promise<Set<number>> {
  const stdout = await runTool('ffprobe', buildProbeFramesArgs(path.join(framesDir, STAGED_PATTERN)), {
    timeoutMs: opts.timeoutMs,
    nice: opts.nice,
    signal: opts.signal,
  })
    .then((r) => r.stdout)
    .catch(() => null);
  if (stdout === null) return probeOneByOne(framesDir, count, opts);
  const parsed = JSON.parse(stdout || '{}') as { frames?: ProbedFrame[] };
  const ok = new Set<number>();
  for (const f of parsed.frames ?? []) {
    if (typeof f.best_effort_timestamp === 'number' && (f.width ?? 0) > 0 && (f.height ?? 0) > 0) ok.add(f.best_effort_timestamp);
  }
  return ok;
}

/** ffprobe gives up on a sequence whose first frame is unreadable; then each frame is asked on its own. */
async function probeOneByOne(
  framesDir: string,
  count: number,
  opts: { timeoutMs: number; nice: number; signal?: AbortSignal | undefined },
): Promise<Set<number>> {
  const ok = new Set<number>();
  for (let i = 0; i < count; i++) {
    const args = buildProbeFramesArgs(path.join(framesDir, stagedName(i)));
    try {
      const { stdout } = await runTool('ffprobe', args, { timeoutMs: opts.timeoutMs, nice: opts.nice, signal: opts.signal });
      const parsed = JSON.parse(stdout || '{}') as { frames?: ProbedFrame[] };
      if ((parsed.frames ?? []).some((f) => (f.width ?? 0) > 0)) ok.add(i);
    } catch {
      // Not decodable: left out.
    }
  }
  return ok;
}
