import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { type AdminSessions, createAdminGuard } from './admin.js';
import type { Asset } from './assets.js';
import type { Catalog } from './catalog.js';
import type { GalleryConfig } from './config.js';
import { createFilmLookup } from './films.js';
import { createWebContext } from './http/context.js';
import { registerErrorReplies } from './http/errors.js';
import { PERMISSIONS_POLICY, registerSecurityHeaders } from './http/security.js';
import type { Logger } from './log.js';
import type { GalleryMetrics } from './metrics.js';
import type { Moderation } from './moderation.js';
import { createPageCaches, type PageCaches } from './pagecache.js';
import { fastifyTrustProxy } from './proxy.js';
import { RateLimiter } from './ratelimit.js';
import { adminRoutes } from './routes/admin.js';
import { apiRoutes } from './routes/api.js';
import { pageRoutes } from './routes/pages.js';
import { wallRoutes } from './routes/wall.js';
import type { FilmBucket } from './s3.js';
import type { CacheStore } from './store.js';
import type { MediaUrls } from './urls.js';

export interface ServerDeps {
  config: GalleryConfig;
  log: Logger;
  catalog: Catalog;
  bucket: FilmBucket;
  store: CacheStore;
  media: MediaUrls;
  moderation: Moderation;
  assets: Map<string, Asset>;
  mediaOrigins: string[];
  now: () => number;
  /** Admin sign-ins (Redis or in-process); required when GALLERY_ADMIN_TOKEN is set. */
  sessions?: AdminSessions;
  /** Rendered pages, kept per instance (given by the caller to read their size). */
  pageCaches?: PageCaches;
  /** Request, cache and S3 counters; /metrics with METRICS_TOKEN. */
  metrics?: GalleryMetrics;
  /** Routes of the caller's own (the benchmark's baseline), registered after the gallery's. */
  extraRoutes?: FastifyPluginAsync;
}

// Re-exported for the callers that know them from here.
export { decodeCursor, encodeCursor, pageOf } from './cursor.js';
export { mayBeOnItsWay } from './films.js';
export { parseCookies } from './http/context.js';

/** The HTTP composition root: Fastify, its plugins (security headers, cookies, gzip, rate limits), then the route modules. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, log, catalog, media, moderation, now } = deps;
  const app = Fastify({
    // Per-request lines only when debugging; errors are logged by the error handler.
    loggerInstance: log.child(
      { module: 'http' },
      { level: ['debug', 'trace'].includes(log.level) ? log.level : 'warn' },
    ) as FastifyBaseLogger,
    trustProxy: fastifyTrustProxy(config.TRUST_PROXY),
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    requestTimeout: 30_000,
  });
  const web = createWebContext(config, deps.assets);
  const caches = deps.pageCaches ?? createPageCaches();
  const films = createFilmLookup({ catalog, bucket: deps.bucket, log, moderation: config.MODERATION, now });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  await registerSecurityHeaders(app, { mediaOrigins: deps.mediaOrigins, https: web.https });
  await app.register(cookie);
  // Replies that are not cached (JSON of one film, the admin page, errors); cached pages come gzipped already.
  await app.register(compress, { encodings: ['gzip'], threshold: 1024 });
  await app.register(rateLimit, {
    global: false,
    keyGenerator: web.clientKey,
    // Only Retry-After, as before; the 429 body is the gallery's error body.
    addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': true },
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: () => Object.assign(new Error('too many attempts'), { statusCode: 429, code: 'rate_limited' }),
  });
  registerErrorReplies(app, web);
  deps.metrics?.register(app, config.METRICS_TOKEN);

  await app.register(pageRoutes, {
    config,
    log,
    catalog,
    store: deps.store,
    media,
    films,
    assets: deps.assets,
    pageCache: caches.pages,
    web,
    now,
  });
  await app.register(apiRoutes, { config, catalog, media, moderation, films, apiCache: caches.api, web, now });
  await app.register(wallRoutes, {
    log: log.child({ module: 'wall' }),
    catalog,
    media,
    films: config.WALL_FILMS,
    pingSeconds: config.WALL_PING_SECONDS,
    eventName: config.EVENT_NAME,
    assets: { css: deps.assets.get('wall.css')?.url ?? '/static/wall.css', js: deps.assets.get('wall.js')?.url ?? '/static/wall.js' },
    web,
    streamHeaders: PERMISSIONS_POLICY,
  });
  if (config.GALLERY_ADMIN_TOKEN) {
    if (!deps.sessions) throw new Error('admin sessions are required with GALLERY_ADMIN_TOKEN');
    await app.register(adminRoutes, {
      log,
      catalog,
      moderation,
      sessions: deps.sessions,
      // Wrong guesses only: 10 at once, then one every 6 s per client, checked before the token.
      guard: createAdminGuard(config.GALLERY_ADMIN_TOKEN, new RateLimiter(10, 6_000, now)),
      actionLimiter: new RateLimiter(60, 1_000, now),
      web,
    });
  }
  if (deps.extraRoutes) await app.register(deps.extraRoutes);
  return app;
}
