import type { FastifyPluginAsync } from 'fastify';
import type { Catalog } from '../catalog.js';
import type { GalleryConfig } from '../config.js';
import { pageAt, pageQuerySchema, pageStartOf, startOf } from '../cursor.js';
import { apiFilm, type FilmLookup, mayBeOnItsWay } from '../films.js';
import { sendCached, type WebContext } from '../http/context.js';
import { type IdParams, idParams } from '../http/schemas.js';
import { type Moderation, OWNER_KEY_PATTERN } from '../moderation.js';
import { type Cached, cached, type LruCache } from '../pagecache.js';
import type { MediaUrls } from '../urls.js';
import { DEFAULT_PAGE_SIZE } from './pages.js';

export const MAX_PAGE_SIZE = 100;

export interface ApiRoutesOptions {
  config: GalleryConfig;
  catalog: Catalog;
  media: MediaUrls;
  moderation: Moderation;
  films: FilmLookup;
  apiCache: LruCache<Cached>;
  web: WebContext;
  now: () => number;
}

const limitOf = (v: unknown) => {
  const n = typeof v === 'string' ? Number.parseInt(v, 10) : Number.NaN;
  return Number.isFinite(n) ? Math.min(MAX_PAGE_SIZE, Math.max(1, n)) : DEFAULT_PAGE_SIZE;
};

/** The public JSON API: the list, one film, and removal by its owner's key. */
export const apiRoutes: FastifyPluginAsync<ApiRoutesOptions> = async (app, opts) => {
  const { config, catalog, media, moderation, films, apiCache, web, now } = opts;

  app.get<{ Querystring: { cursor?: string; limit?: string } }>(
    '/api/movies',
    { schema: { querystring: pageQuerySchema }, attachValidation: true },
    async (req, reply) => {
      if (req.validationError) return reply.code(400).send({ error: { code: 'bad_cursor', message: 'invalid cursor or limit' } });
      const cursor = req.query.cursor || undefined;
      const limit = limitOf(req.query.limit);
      const view = await catalog.current();
      const baseUrl = web.baseUrlOf(req);
      // As for the HTML list: the page boundary at or before the cursor (films may repeat, never skip).
      const start = pageStartOf(startOf(view, cursor), limit);
      const key = `${view.version}|${baseUrl}|${start}|${limit}`;
      let entry = apiCache.get(key, now());
      if (!entry) {
        const page = pageAt(view, start, limit);
        entry = cached(JSON.stringify({ movies: await Promise.all(page.films.map((f) => apiFilm(media, f, baseUrl))), next: page.next }));
        apiCache.set(key, entry, now());
      }
      return sendCached(req, reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache'), entry);
    },
  );

  app.get<{ Params: IdParams }>('/api/movies/:id', { schema: { params: idParams }, attachValidation: true }, async (req, reply) => {
    if (req.validationError) return reply.code(404).send({ error: { code: 'not_found', message: 'no such film' } });
    const { id } = req.params;
    const found = await films.find(id);
    const { film, hidden } = found;
    if (found.private) return reply.code(404).send({ error: { code: 'private', message: 'shown on the big screen only' } });
    if (!film) {
      const code = !hidden && mayBeOnItsWay(id, now()) ? 'not_yet' : 'not_found';
      const review = code === 'not_yet' && config.MODERATION === 'pre';
      const message = code === 'not_yet' ? (review ? 'waiting for review' : 'not uploaded yet') : 'no such film';
      return reply.code(404).send({ error: { code, message, ...(review ? { review: true } : {}) } });
    }
    return reply.header('cache-control', 'no-cache').send({ movie: await apiFilm(media, film, web.baseUrlOf(req)) });
  });

  app.post<{ Params: IdParams; Body: { key?: unknown } }>(
    '/api/movies/:id/remove',
    {
      schema: { params: idParams },
      attachValidation: true,
      // Five attempts per client, then the window has to pass (the same one per 10 s on average):
      // a brake on guessing, though nothing guesses a 192-bit key.
      config: { rateLimit: { max: 5, timeWindow: 50_000 } },
    },
    async (req, reply) => {
      const key = req.body?.key;
      if (req.validationError || typeof key !== 'string' || !OWNER_KEY_PATTERN.test(key)) {
        return reply.code(400).send({ error: { code: 'bad_request', message: 'id and key required' } });
      }
      const { id } = req.params;
      const result = await moderation.ownerRemove(id, key);
      if (!result.ok) {
        const status = result.reason === 'forbidden' ? 403 : 404;
        return reply
          .code(status)
          .send({ error: { code: result.reason, message: result.reason === 'forbidden' ? 'wrong key' : 'no such film' } });
      }
      return { ok: true, id };
    },
  );
};
