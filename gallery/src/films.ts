import { type FilmMeta, movieKeys, type Refusal, refusalSchema, ULID_PATTERN } from '@stop-motion/protocol';
import { type Catalog, parseMeta } from './catalog.js';
import type { Logger } from './log.js';
import { LruCache } from './pagecache.js';
import { RateLimiter } from './ratelimit.js';
import type { FilmBucket } from './s3.js';
import type { MediaUrls } from './urls.js';

/** A ULID older than this is not "on its way" any more, it is unknown. */
const ON_ITS_WAY_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** A recent, well-formed ULID: a film that can still be on its way from a station. */
export function mayBeOnItsWay(id: string, now: number): boolean {
  if (!ULID_PATTERN.test(id)) return false;
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + alphabet.indexOf(ch);
  return t <= now + 24 * 3600 * 1000 && t >= now - ON_ITS_WAY_MAX_AGE_MS;
}

export interface FilmLookup {
  /** A film by id from the list, or straight from S3 when the list does not have it yet. */
  find(id: string): Promise<{ film: FilmMeta | null; hidden: boolean; private?: true }>;
}

export interface FilmLookupOptions {
  catalog: Catalog;
  bucket: FilmBucket;
  log: Logger;
  /** MODERATION: with `pre`, a film refused in review has a REFUSED marker instead of a meta.json. */
  moderation: 'pre' | 'post';
  now: () => number;
}

export function createFilmLookup(deps: FilmLookupOptions): FilmLookup {
  const { catalog, bucket, log, now } = deps;

  /** The `REFUSED` marker the processor writes for a film made private or taken down in review. */
  async function readRefusal(id: string): Promise<Refusal['decision'] | null> {
    if (deps.moderation !== 'pre') return null;
    const got = await bucket.getText(movieKeys(id).refused).catch((err: unknown) => {
      log.warn({ event: 'lookup.failed', id, err: (err as Error).message }, 'S3 lookup of REFUSED failed');
      return null;
    });
    if (!got) return null;
    let parsed: ReturnType<typeof refusalSchema.safeParse>;
    try {
      parsed = refusalSchema.safeParse(JSON.parse(got.text));
    } catch {
      parsed = refusalSchema.safeParse(null);
    }
    // A marker that does not parse still says the film was refused; private is the careful reading.
    return parsed.success && parsed.data.id === id ? parsed.data.decision : 'private';
  }

  const misses = new LruCache<true>(2000, 3000);
  // Direct S3 look-ups for ids the list lacks, across all clients: made-up ids cannot turn into
  // S3 load. Not @fastify/rate-limit: this budget is shared by every client and guards S3, not a route.
  const lookupLimiter = new RateLimiter(50, 50, now);
  return {
    async find(id) {
      const view = await catalog.current();
      // Removed by its owner: gone, not "on its way", whatever a late meta.json says.
      if (view.removed.has(id)) return { film: null, hidden: true };
      const known = view.byId.get(id);
      if (known) return { film: known.hidden ? null : known, hidden: known.hidden === true };
      if (misses.get(id, now()) || !lookupLimiter.take('s3')) return { film: null, hidden: false };
      // Families open the QR link before the next refresh: look once, cheaply bounded.
      let got: Awaited<ReturnType<typeof bucket.getText>>;
      try {
        got = await bucket.getText(movieKeys(id).meta);
      } catch (err) {
        // S3 away or stopped: answer from what is known, and do not remember it as missing.
        log.warn({ event: 'lookup.failed', id, err: (err as Error).message }, 'S3 lookup failed');
        return { film: null, hidden: false };
      }
      const meta = got ? parseMeta(id, got.text).meta : null;
      if (!meta) {
        // Refused in review (MODERATION=pre): it will never come, so it is not "waiting for review".
        const refusal = await readRefusal(id);
        if (refusal) return refusal === 'takedown' ? { film: null, hidden: true } : { film: null, hidden: false, private: true };
        misses.set(id, true, now());
        return { film: null, hidden: false };
      }
      catalog.noteChange();
      if (await bucket.getText(movieKeys(id).removed).catch(() => null)) return { film: null, hidden: true };
      return { film: meta.hidden ? null : meta, hidden: meta.hidden === true };
    },
  };
}

/** The JSON shape of a film in the public API. */
export async function apiFilm(media: MediaUrls, film: FilmMeta, baseUrl: string) {
  return {
    id: film.id,
    title: film.title ?? null,
    createdAt: film.createdAt,
    durationSec: film.durationSec,
    fps: film.fps,
    frameCount: film.frameCount,
    width: film.width,
    height: film.height,
    stationId: film.stationId,
    posterUrl: await media.poster(film),
    videoUrl: await media.video(film),
    downloadUrl: `${baseUrl}/m/${film.id}/download`,
    pageUrl: `${baseUrl}/m/${film.id}`,
    audio: film.audio === true,
  };
}
