import { describeIssues, type FilmMeta, filmMetaSchema } from '@stop-motion/protocol';
import type { Job } from './jobs.js';

export type FilmMetaResult = { ok: true; meta: FilmMeta } | { ok: false; reason: string };

/** Set from the validated package when the render starts, and from the render's probe when it ends. */
const FROM_RENDER = ['stationId', 'createdAt', 'durationSec', 'fps', 'frameCount', 'width', 'height'] as const;

/**
 * The film's meta.json for the gallery, from its job record. Every value comes from the
 * validated package or the rendered film; a record without them (written by a bug or
 * damaged) is refused with the reason, never filled in with made-up numbers.
 */
export function filmMeta(j: Job): FilmMetaResult {
  const missing = FROM_RENDER.filter((k) => j[k] === null);
  if (missing.length > 0) return { ok: false, reason: `the job record has no ${missing.join(', ')}; they are set by the render` };
  const parsed = filmMetaSchema.safeParse({
    id: j.id,
    title: j.title,
    stationId: j.stationId,
    createdAt: j.createdAt,
    durationSec: j.durationSec,
    fps: j.fps,
    frameCount: j.frameCount,
    width: j.width,
    height: j.height,
    ...(j.ownerKeyHash ? { ownerKeyHash: j.ownerKeyHash } : {}),
    hasPreview: j.hasPreview,
    audio: j.audio,
  });
  if (!parsed.success) return { ok: false, reason: `the film's meta.json would be invalid: ${describeIssues(parsed.error)}` };
  return { ok: true, meta: parsed.data };
}
