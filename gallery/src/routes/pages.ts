import type { FilmMeta } from '@stop-motion/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { Asset } from '../assets.js';
import type { Catalog } from '../catalog.js';
import type { GalleryConfig } from '../config.js';
import { pageAt, pageQuerySchema, pageStartOf, startOf } from '../cursor.js';
import { type FilmLookup, mayBeOnItsWay } from '../films.js';
import { sendCached, type WebContext } from '../http/context.js';
import { type AssetQuery, assetQuery, type CodeQuery, codeQuery, type IdParams, idParams } from '../http/schemas.js';
import type { Logger } from '../log.js';
import { type Cached, cached, type LruCache } from '../pagecache.js';
import { renderCode, renderFilm, renderList, renderMessage, renderOnItsWay } from '../pages/pages.js';
import { RateLimiter } from '../ratelimit.js';
import { filmsWithCode, normalizeCode } from '../shortcode.js';
import type { CacheStore } from '../store.js';
import type { MediaUrls } from '../urls.js';

export const DEFAULT_PAGE_SIZE = 24;
/** How often the "on its way" page looks again. */
export const ON_ITS_WAY_REFRESH_SECONDS = 5;

export interface PageRoutesOptions {
  config: GalleryConfig;
  log: Logger;
  catalog: Catalog;
  store: CacheStore;
  media: MediaUrls;
  films: FilmLookup;
  assets: Map<string, Asset>;
  pageCache: LruCache<Cached>;
  web: WebContext;
  now: () => number;
}

/** The visitor's pages: the list, a film, its download, the short-code form, static files and /healthz. */
export const pageRoutes: FastifyPluginAsync<PageRoutesOptions> = async (app, opts) => {
  const { config, log, catalog, media, films, pageCache, web, now } = opts;
  // Codes are short: a client gets a few tries, then one every 6 s, so guessing them is slow.
  // Not @fastify/rate-limit: its 429 would be a JSON error, this one is the code form in the
  // visitor's language with their code kept, and an empty form does not spend a try.
  const codeLimiter = new RateLimiter(10, 6_000, now);
  const htmlNoCache = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' };

  app.get('/healthz', async () => {
    const view = catalog.peek();
    return { ok: true, films: view ? view.films.length : null, cache: opts.store.kind, cacheReachable: opts.store.healthy() };
  });

  app.get<{ Params: { name: string }; Querystring: AssetQuery }>(
    '/static/:name',
    { schema: { querystring: assetQuery }, attachValidation: true },
    async (req, reply) => {
      const asset = opts.assets.get(req.params.name);
      if (!asset) return reply.callNotFound();
      const versioned = !req.validationError && req.query.v === asset.hash;
      reply
        .type(asset.type)
        .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
        .header('etag', `"${asset.hash}"`);
      reply.header('vary', 'Accept-Encoding');
      return sendCached(req, reply, asset.entry);
    },
  );

  // Browsers ask for it whatever the page says; an empty answer keeps their consoles clean.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());

  const cardsFor = (list: FilmMeta[]) => Promise.all(list.map(async (film) => ({ film, posterUrl: await media.poster(film) })));

  app.get<{ Querystring: { cursor?: string } }>(
    '/',
    { schema: { querystring: pageQuerySchema }, attachValidation: true },
    async (req, reply) => {
      const cursor = req.query.cursor || undefined;
      // The cached page's links name only what the cache key names: no one else's query text.
      const ctx = { ...web.ctxFor(req, reply), path: cursor ? `/?cursor=${encodeURIComponent(cursor)}` : '/' };
      if (req.validationError) return web.sendHtml(reply, 400, renderMessage({ ...ctx, path: '/' }, 'notFound'));
      const view = await catalog.current();
      // Keyed by the page the cursor comes down to, not by its text: a page boundary
      // at or before its position (a list that grew shows a few films again, never skips
      // one), so there are only as many list pages to render as pages of films.
      const start = pageStartOf(startOf(view, cursor), DEFAULT_PAGE_SIZE);
      const key = `list|${view.version}|${ctx.locale}|${ctx.baseUrl}|${cursor ? start : ''}`;
      let entry = pageCache.get(key, now());
      if (!entry) {
        const page = pageAt(view, start, DEFAULT_PAGE_SIZE);
        entry = cached(renderList(ctx, await cardsFor(page.films), { next: page.next, isFirst: !cursor }));
        pageCache.set(key, entry, now());
      }
      return sendCached(req, reply.headers(htmlNoCache), entry);
    },
  );

  app.get<{ Params: IdParams }>('/m/:id', { schema: { params: idParams }, attachValidation: true }, async (req, reply) => {
    const { id } = req.params;
    const ctx = { ...web.ctxFor(req, reply), path: `/m/${encodeURIComponent(id)}` };
    if (req.validationError) return web.sendHtml(reply, 404, renderMessage(ctx, 'notFound'));
    const found = await films.find(id);
    const { film, hidden } = found;
    if (!film) {
      if (found.private) return web.sendHtml(reply, 200, renderMessage(ctx, 'privateFilm'));
      if (!hidden && mayBeOnItsWay(id, now())) {
        // MODERATION=pre: the film exists on the processing unit, held until a person approves it.
        const why = config.MODERATION === 'pre' ? 'review' : 'making';
        return web.sendHtml(reply, 200, renderOnItsWay(ctx, id, ON_ITS_WAY_REFRESH_SECONDS, why), 'no-store');
      }
      return web.sendHtml(reply, 404, renderMessage(ctx, 'notFound'));
    }
    const key = `film|${film.id}|${catalog.peek()?.version}|${ctx.locale}|${ctx.baseUrl}`;
    let entry = pageCache.get(key, now());
    if (!entry) {
      const [video, poster] = await Promise.all([media.video(film), media.poster(film)]);
      entry = cached(renderFilm(ctx, film, { video, poster }));
      pageCache.set(key, entry, now());
    }
    return sendCached(req, reply.headers(htmlNoCache), entry);
  });

  app.get<{ Querystring: CodeQuery }>('/code', { schema: { querystring: codeQuery }, attachValidation: true }, async (req, reply) => {
    const ctx = { ...web.ctxFor(req, reply), path: '/code' };
    const typed = !req.validationError && typeof req.query.c === 'string' ? req.query.c.slice(0, 64) : '';
    if (!typed.trim()) return web.sendHtml(reply, 200, renderCode(ctx, { code: '' }));
    if (!codeLimiter.take(web.clientKey(req))) {
      log.warn({ event: 'code.limited', ip: req.ip }, 'too many short-code lookups');
      return web.sendHtml(reply.header('retry-after', '60'), 429, renderCode(ctx, { code: typed, problem: 'tooMany' }), 'no-store');
    }
    const code = normalizeCode(typed);
    if (!code) return web.sendHtml(reply, 400, renderCode(ctx, { code: typed, problem: 'invalid' }), 'no-store');
    const [film] = filmsWithCode(await catalog.current(), code);
    if (!film) return web.sendHtml(reply, 404, renderCode(ctx, { code, problem: 'notFound' }), 'no-store');
    return reply.header('cache-control', 'no-store').redirect(`/m/${film.id}`, 303);
  });

  app.get<{ Params: IdParams }>('/m/:id/download', { schema: { params: idParams }, attachValidation: true }, async (req, reply) => {
    if (req.validationError) return reply.callNotFound();
    const { film } = await films.find(req.params.id);
    if (!film) return reply.callNotFound();
    return reply.header('cache-control', 'no-store').redirect(await media.download(film), 302);
  });
};
