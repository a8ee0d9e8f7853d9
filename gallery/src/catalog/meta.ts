import { type FilmMeta, filmMetaSchema, sanitizeTitle, tombstoneSchema } from '@stop-motion/protocol';

/** Parses a `meta.json` body; null (with the reason) when it is not a film the gallery may show. */
export function parseMeta(id: string, text: string): { meta: FilmMeta | null; reason?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { meta: null, reason: 'not JSON' };
  }
  const parsed = filmMetaSchema.safeParse(json);
  if (!parsed.success) return { meta: null, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  if (parsed.data.id !== id) return { meta: null, reason: `id ${parsed.data.id} does not match its key` };
  // Direction controls would spoof the page and the download name: gone before anything shows the title.
  const { title, ...rest } = parsed.data;
  const clean = sanitizeTitle(title);
  return { meta: clean === null ? (title === undefined ? rest : { ...rest, title: null }) : { ...rest, title: clean } };
}

/** The `removedAt` of a tombstone body, or null when it is not one (the key still counts). */
export function parseTombstone(id: string, text: string): string | null {
  try {
    const parsed = tombstoneSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.id === id ? parsed.data.removedAt : null;
  } catch {
    return null;
  }
}
