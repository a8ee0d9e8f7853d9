import { filmMetaSchema } from '@stop-motion/protocol';
import { z } from 'zod';

/** One `meta.json` as last fetched; `meta` is null when the file was not a valid film. */
export const snapshotEntrySchema = z.object({ etag: z.string(), meta: filmMetaSchema.nullable() });
export type SnapshotEntry = z.infer<typeof snapshotEntrySchema>;

/** A `REMOVED` tombstone as last listed; `removedAt` is null when its body was not valid (the key alone decides). */
export const removedEntrySchema = z.object({ etag: z.string(), removedAt: z.iso.datetime({ offset: true }).nullable() });
export type RemovedEntry = z.infer<typeof removedEntrySchema>;

/**
 * The film list as the instances share it in Redis. Another instance (or an older
 * version of the gallery, or anything else that can write the key) wrote it, so it is
 * checked on read: each entry must be the film of its own key.
 */
export const snapshotSchema = z
  .object({
    version: z.string().min(1),
    entries: z.record(z.string(), snapshotEntrySchema),
    /** Films their owners removed (absent in snapshots written before tombstones existed). */
    removed: z.record(z.string(), removedEntrySchema).optional(),
  })
  .superRefine((snap, ctx) => {
    for (const [id, entry] of Object.entries(snap.entries)) {
      if (entry.meta && entry.meta.id !== id)
        ctx.addIssue({ code: 'custom', path: ['entries', id], message: `holds film ${entry.meta.id}` });
    }
  });
export type Snapshot = z.infer<typeof snapshotSchema>;

export type SnapshotRead = { ok: true; snapshot: Snapshot } | { ok: false; reason: string };

/** The shared snapshot's text as read from the cache; a reason instead when it is not one. */
export function parseSnapshot(text: string | null): SnapshotRead {
  if (text === null) return { ok: false, reason: 'missing (the state names a snapshot the cache does not hold)' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    const more = parsed.error.issues.length > 3 ? `; and ${parsed.error.issues.length - 3} more` : '';
    return { ok: false, reason: `${issues.join('; ')}${more}` };
  }
  return { ok: true, snapshot: parsed.data };
}
