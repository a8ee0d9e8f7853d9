import { z } from 'zod';
import { movieIdSchema, sha256HexSchema, stationIdSchema } from './ids.js';
import { MAX_TITLE_LENGTH } from './manifest.js';

/** S3 layout: every object of a film lives under this prefix. */
export const MOVIES_PREFIX = 'movies/';
export const movieKeys = (id: string) => ({
  prefix: `${MOVIES_PREFIX}${id}/`,
  video: `${MOVIES_PREFIX}${id}/movie.mp4`,
  poster: `${MOVIES_PREFIX}${id}/poster.jpg`,
  preview: `${MOVIES_PREFIX}${id}/preview.mp4`,
  meta: `${MOVIES_PREFIX}${id}/meta.json`,
  removed: `${MOVIES_PREFIX}${id}/REMOVED`,
  refused: `${MOVIES_PREFIX}${id}/REFUSED`,
});

/** Extracts the movie id from a `movies/<id>/meta.json` key, or null. */
export function movieIdFromMetaKey(key: string): string | null {
  const m = /^movies\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})\/meta\.json$/.exec(key);
  return m?.[1] ?? null;
}

/** Extracts the movie id from a `movies/<id>/REMOVED` key, or null. */
export function movieIdFromRemovedKey(key: string): string | null {
  const m = /^movies\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})\/REMOVED$/.exec(key);
  return m?.[1] ?? null;
}

/** `movies/<id>/meta.json`, written last by the processor; the gallery's source of truth. */
export const filmMetaSchema = z.object({
  id: movieIdSchema,
  title: z.string().max(MAX_TITLE_LENGTH).nullable().optional(),
  stationId: stationIdSchema,
  createdAt: z.iso.datetime({ offset: true }),
  durationSec: z
    .number()
    .nonnegative()
    .max(24 * 3600),
  fps: z.number().int().min(1).max(60),
  frameCount: z.number().int().min(1),
  width: z.number().int().min(2).max(8192),
  height: z.number().int().min(2).max(8192),
  hidden: z.boolean().optional(),
  ownerKeyHash: sha256HexSchema.optional(),
  hasPreview: z.boolean().optional(),
  /** True when the MP4 carries a soundtrack (one AAC stream); absent or false means silent. */
  audio: z.boolean().optional(),
});
export type FilmMeta = z.infer<typeof filmMetaSchema>;

/**
 * `movies/<id>/REMOVED`: the owner took the film down. Its other objects are
 * deleted and stay deleted: no re-delivery, re-render or upload may write them
 * again, and no one can undo it. It holds no title or other trace of the film.
 */
export const tombstoneSchema = z.object({
  id: movieIdSchema,
  removedAt: z.iso.datetime({ offset: true }),
  by: z.literal('owner'),
});
export type Tombstone = z.infer<typeof tombstoneSchema>;

/**
 * `movies/<id>/REFUSED`: with pre-moderation, an operator made the film private or took
 * it down in review, so it will never be uploaded. The only object such a film ever has
 * in the bucket; no title or other trace of it. The family's page says what is true
 * instead of "waiting for review".
 */
export const refusalSchema = z.object({
  id: movieIdSchema,
  decision: z.enum(['private', 'takedown']),
  at: z.iso.datetime({ offset: true }),
});
export type Refusal = z.infer<typeof refusalSchema>;

/** Redis pub/sub channel on which the processor and galleries announce changes. */
export const FILMS_CHANNEL = 'stop-motion:films';

export const filmNoticeSchema = z.object({
  type: z.enum(['film.added', 'film.hidden', 'film.unhidden', 'film.removed']),
  id: movieIdSchema,
  at: z.iso.datetime({ offset: true }).optional(),
});
export type FilmNotice = z.infer<typeof filmNoticeSchema>;
