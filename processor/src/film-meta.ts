import type { FilmMeta } from '@stop-motion/protocol';
import type { Job } from './jobs.js';

/** The film's meta.json for the gallery, from its job record. */
export function filmMeta(j: Job): FilmMeta {
  return {
    id: j.id,
    title: j.title,
    stationId: j.stationId ?? 'unknown',
    createdAt: j.createdAt ?? j.receivedAt,
    durationSec: j.durationSec ?? 0,
    fps: j.fps ?? 10,
    frameCount: j.frameCount ?? 1,
    width: j.width ?? 2,
    height: j.height ?? 2,
    ...(j.ownerKeyHash ? { ownerKeyHash: j.ownerKeyHash } : {}),
    hasPreview: j.hasPreview,
  };
}
