import { gzipSync } from 'node:zlib';
import { type FilmMeta, isValidId, movieKeys, type Refusal, refusalSchema, ULID_PATTERN } from '@stop-motion/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type AdminSessions, createAdminGuard, registerAdminRoutes } from './admin.js';
import type { Asset } from './assets.js';
import { type Catalog, parseMeta } from './catalog.js';
import type { GalleryConfig } from './config.js';
import { pageAt, pageQuerySchema, pageStartOf, startOf } from './cursor.js';
import { chooseLocale, MESSAGES } from './i18n.js';
import type { Logger } from './log.js';
import type { GalleryMetrics } from './metrics.js';
import { type Moderation, OWNER_KEY_PATTERN } from './moderation.js';
import { type Cached, cached, createPageCaches, LruCache, type PageCaches } from './pagecache.js';
import { type PageContext, renderCode, renderFilm, renderList, renderMessage, renderOnItsWay } from './pages/pages.js';
import { fastifyTrustProxy } from './proxy.js';
import { RateLimiter } from './ratelimit.js';
import type { FilmBucket } from './s3.js';
import { filmsWithCode, normalizeCode } from './shortcode.js';
import type { CacheStore } from './store.js';
import type { MediaUrls } from './urls.js';
import { registerWallRoutes } from './wall.js';

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
  /** Adds `/_bench/precomputed`, a same-size constant body for benchmarks. */
  benchRoute?: boolean;
  /** Request, cache and S3 counters; /metrics with METRICS_TOKEN. */
  metrics?: GalleryMetrics;
}

export const DEFAULT_PAGE_SIZE = 24;
export const MAX_PAGE_SIZE = 100;
/** How often the "on its way" page looks again. */
export const ON_ITS_WAY_REFRESH_SECONDS = 5;
/** A ULID older than this is not "on its way" any more, it is unknown. */
const ON_ITS_WAY_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

// Cursors live in cursor.ts; re-exported for the callers that know them from here.
export { decodeCursor, encodeCursor, pageOf } from './cursor.js';

// ---- helpers -------------------------------------------------------------

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** A recent, well-formed ULID: a film that can still be on its way from a station. */
export function mayBeOnItsWay(id: string, now: number): boolean {
  if (!ULID_PATTERN.test(id)) return false;
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + alphabet.indexOf(ch);
  return t <= now + 24 * 3600 * 1000 && t >= now - ON_ITS_WAY_MAX_AGE_MS;
}

function buildCsp(mediaOrigins: string[]): string {
  const media = mediaOrigins.join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: ${media}`,
    `media-src 'self' ${media}`,
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Pages on 4G: gzip what is worth it, once per cached body rather than per request. */
function sendCached(req: FastifyRequest, reply: FastifyReply, entry: Cached) {
  if (!reply.hasHeader('vary')) reply.header('vary', 'Accept-Encoding, Accept-Language, Cookie');
  const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (!accepts || entry.body.length < 1024) return reply.send(entry.body);
  entry.gz ??= gzipSync(entry.body, { level: 6 });
  return reply.header('content-encoding', 'gzip').send(entry.gz);
}

// ---- the server ----------------------------------------------------------

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, log, catalog, media, moderation, bucket, now } = deps;
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
  deps.metrics?.register(app, config.METRICS_TOKEN);
  const csp = buildCsp(deps.mediaOrigins);
  const https = config.GALLERY_PUBLIC_URL?.startsWith('https:') ?? false;
  const ownerLimiter = new RateLimiter(5, 10_000, now);
  const caches = deps.pageCaches ?? createPageCaches();
  const pageCache = caches.pages;
  const misses = new LruCache<true>(2000, 3000);
  /** Direct S3 look-ups for ids the list lacks, across all clients: made-up ids cannot turn into S3 load. */
  const lookupLimiter = new RateLimiter(50, 50, now);
  // Codes are short: a client gets a few tries, then one every 6 s, so guessing them is slow.
  const codeLimiter = new RateLimiter(10, 6_000, now);
  const css = deps.assets.get('app.css')?.url ?? '/static/app.css';
  const js = deps.assets.get('app.js')?.url ?? '/static/app.js';
  const icon = deps.assets.get('icon.svg')?.url ?? '/static/icon.svg';

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const securityHeaders: Record<string, string> = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(securityHeaders);
    return payload;
  });

  const ctxFor = (req: FastifyRequest, reply: FastifyReply): PageContext => {
    const q = req.query as Record<string, unknown>;
    const cookies = parseCookies(req.headers.cookie);
    const locale = chooseLocale(q.lang, cookies.lang, req.headers['accept-language']);
    if (typeof q.lang === 'string' && q.lang === locale && cookies.lang !== locale) {
      reply.header('set-cookie', `lang=${locale}; Path=/; Max-Age=31536000; SameSite=Lax${https ? '; Secure' : ''}`);
    }
    let path = req.url;
    if (path.includes('lang=')) {
      const url = new URL(req.url, 'http://x');
      url.searchParams.delete('lang');
      path = `${url.pathname}${url.search}`;
    }
    const baseUrl = config.GALLERY_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
    return { locale, t: MESSAGES[locale], path, assets: { css, js, icon }, baseUrl, timeZone: config.EVENT_TIMEZONE };
  };

  const sendHtml = (reply: FastifyReply, status: number, body: string, cache = 'no-cache') =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', cache)
      .header('vary', 'Accept-Language, Cookie')
      .send(body);

  const clientKey = (req: FastifyRequest) => req.ip;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500 && status !== 503) req.log.error({ event: 'request.failed', err, url: req.routeOptions.url }, 'request failed');
    const message = status === 503 ? 'temporarily unavailable' : status >= 500 ? 'internal error' : err.message;
    if (req.url.startsWith('/api/') || status < 500) {
      return reply
        .code(status)
        .type('application/json')
        .send({ error: { code: err.code ?? `http_${status}`, message } });
    }
    let body: string;
    try {
      body = renderMessage(ctxFor(req, reply), 'error');
    } catch {
      body = '<!doctype html><title>Error</title><p>Something went wrong. Please try again in a moment.</p>';
    }
    return sendHtml(reply, status, body);
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
    return sendHtml(reply, 404, renderMessage(ctxFor(req, reply), 'notFound'));
  });

  app.get('/healthz', async () => {
    const view = catalog.peek();
    return { ok: true, films: view ? view.films.length : null, cache: deps.store.kind, cacheReachable: deps.store.healthy() };
  });

  app.get<{ Params: { name: string } }>('/static/:name', async (req, reply) => {
    const asset = deps.assets.get(req.params.name);
    if (!asset) return reply.callNotFound();
    const versioned = (req.query as Record<string, unknown>).v === asset.hash;
    reply
      .type(asset.type)
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
      .header('etag', `"${asset.hash}"`);
    reply.header('vary', 'Accept-Encoding');
    return sendCached(req, reply, asset.entry);
  });

  // Browsers ask for it whatever the page says; an empty answer keeps their consoles clean.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());

  // ---- pages --------------------------------------------------------------

  const cardsFor = (films: FilmMeta[]) => Promise.all(films.map(async (film) => ({ film, posterUrl: await media.poster(film) })));

  const limitOf = (v: unknown) => {
    const n = typeof v === 'string' ? Number.parseInt(v, 10) : Number.NaN;
    return Number.isFinite(n) ? Math.min(MAX_PAGE_SIZE, Math.max(1, n)) : DEFAULT_PAGE_SIZE;
  };

  app.get('/', { schema: { querystring: pageQuerySchema }, attachValidation: true }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const cursor = typeof q.cursor === 'string' && q.cursor ? q.cursor : undefined;
    // The cached page's links name only what the cache key names: no one else's query text.
    const ctx = { ...ctxFor(req, reply), path: cursor ? `/?cursor=${encodeURIComponent(cursor)}` : '/' };
    if (req.validationError) return sendHtml(reply, 400, renderMessage({ ...ctx, path: '/' }, 'notFound'));
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
    return sendCached(req, reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache'), entry);
  });

  /** A film by id from the list, or straight from S3 when the list does not have it yet. */
  async function findFilm(id: string): Promise<{ film: FilmMeta | null; hidden: boolean; private?: true }> {
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
  }

  /** The `REFUSED` marker the processor writes for a film made private or taken down in review. */
  async function readRefusal(id: string): Promise<Refusal['decision'] | null> {
    if (config.MODERATION !== 'pre') return null;
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

  app.get<{ Params: { id: string } }>('/m/:id', async (req, reply) => {
    const { id } = req.params;
    const ctx = { ...ctxFor(req, reply), path: `/m/${encodeURIComponent(id)}` };
    if (!isValidId(id)) return sendHtml(reply, 404, renderMessage(ctx, 'notFound'));
    const found = await findFilm(id);
    const { film, hidden } = found;
    if (!film) {
      if (found.private) return sendHtml(reply, 200, renderMessage(ctx, 'privateFilm'));
      if (!hidden && mayBeOnItsWay(id, now())) {
        // MODERATION=pre: the film exists on the processing unit, held until a person approves it.
        const why = config.MODERATION === 'pre' ? 'review' : 'making';
        return sendHtml(reply, 200, renderOnItsWay(ctx, id, ON_ITS_WAY_REFRESH_SECONDS, why), 'no-store');
      }
      return sendHtml(reply, 404, renderMessage(ctx, 'notFound'));
    }
    const key = `film|${film.id}|${catalog.peek()?.version}|${ctx.locale}|${ctx.baseUrl}`;
    let entry = pageCache.get(key, now());
    if (!entry) {
      const [video, poster] = await Promise.all([media.video(film), media.poster(film)]);
      entry = cached(renderFilm(ctx, film, { video, poster }));
      pageCache.set(key, entry, now());
    }
    return sendCached(req, reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache'), entry);
  });

  app.get<{ Querystring: { c?: unknown } }>('/code', async (req, reply) => {
    const ctx = { ...ctxFor(req, reply), path: '/code' };
    const typed = typeof req.query.c === 'string' ? req.query.c.slice(0, 64) : '';
    if (!typed.trim()) return sendHtml(reply, 200, renderCode(ctx, { code: '' }));
    if (!codeLimiter.take(clientKey(req))) {
      log.warn({ event: 'code.limited', ip: req.ip }, 'too many short-code lookups');
      return sendHtml(reply.header('retry-after', '60'), 429, renderCode(ctx, { code: typed, problem: 'tooMany' }), 'no-store');
    }
    const code = normalizeCode(typed);
    if (!code) return sendHtml(reply, 400, renderCode(ctx, { code: typed, problem: 'invalid' }), 'no-store');
    const [film] = filmsWithCode(await catalog.current(), code);
    if (!film) return sendHtml(reply, 404, renderCode(ctx, { code, problem: 'notFound' }), 'no-store');
    return reply.header('cache-control', 'no-store').redirect(`/m/${film.id}`, 303);
  });

  app.get<{ Params: { id: string } }>('/m/:id/download', async (req, reply) => {
    const { id } = req.params;
    if (!isValidId(id)) return reply.callNotFound();
    const { film } = await findFilm(id);
    if (!film) return reply.callNotFound();
    return reply.header('cache-control', 'no-store').redirect(await media.download(film), 302);
  });

  // ---- JSON API -----------------------------------------------------------

  const apiFilm = async (film: FilmMeta, baseUrl: string) => ({
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
  });

  const apiCache = caches.api;
  app.get('/api/movies', { schema: { querystring: pageQuerySchema }, attachValidation: true }, async (req, reply) => {
    if (req.validationError) return reply.code(400).send({ error: { code: 'bad_cursor', message: 'invalid cursor or limit' } });
    const q = req.query as Record<string, unknown>;
    const cursor = typeof q.cursor === 'string' && q.cursor ? q.cursor : undefined;
    const limit = limitOf(q.limit);
    const view = await catalog.current();
    const baseUrl = config.GALLERY_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
    // As for the HTML list: the page boundary at or before the cursor (films may repeat, never skip).
    const start = pageStartOf(startOf(view, cursor), limit);
    const key = `${view.version}|${baseUrl}|${start}|${limit}`;
    let entry = apiCache.get(key, now());
    if (!entry) {
      const page = pageAt(view, start, limit);
      entry = cached(JSON.stringify({ movies: await Promise.all(page.films.map((f) => apiFilm(f, baseUrl))), next: page.next }));
      apiCache.set(key, entry, now());
    }
    return sendCached(req, reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache'), entry);
  });

  app.get<{ Params: { id: string } }>('/api/movies/:id', async (req, reply) => {
    const { id } = req.params;
    if (!isValidId(id)) return reply.code(404).send({ error: { code: 'not_found', message: 'no such film' } });
    const found = await findFilm(id);
    const { film, hidden } = found;
    if (found.private) return reply.code(404).send({ error: { code: 'private', message: 'shown on the big screen only' } });
    if (!film) {
      const code = !hidden && mayBeOnItsWay(id, now()) ? 'not_yet' : 'not_found';
      const review = code === 'not_yet' && config.MODERATION === 'pre';
      const message = code === 'not_yet' ? (review ? 'waiting for review' : 'not uploaded yet') : 'no such film';
      return reply.code(404).send({ error: { code, message, ...(review ? { review: true } : {}) } });
    }
    const baseUrl = config.GALLERY_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
    return reply.header('cache-control', 'no-cache').send({ movie: await apiFilm(film, baseUrl) });
  });

  app.post<{ Params: { id: string }; Body: { key?: unknown } }>('/api/movies/:id/remove', async (req, reply) => {
    if (!ownerLimiter.take(clientKey(req))) {
      return reply
        .code(429)
        .header('retry-after', '10')
        .send({ error: { code: 'rate_limited', message: 'too many attempts' } });
    }
    const { id } = req.params;
    const key = req.body?.key;
    if (!isValidId(id) || typeof key !== 'string' || !OWNER_KEY_PATTERN.test(key)) {
      return reply.code(400).send({ error: { code: 'bad_request', message: 'id and key required' } });
    }
    const result = await moderation.ownerRemove(id, key);
    if (!result.ok) {
      const status = result.reason === 'forbidden' ? 403 : 404;
      return reply
        .code(status)
        .send({ error: { code: result.reason, message: result.reason === 'forbidden' ? 'wrong key' : 'no such film' } });
    }
    return { ok: true, id };
  });

  // ---- the foyer wall -----------------------------------------------------

  registerWallRoutes(app, {
    log: log.child({ module: 'wall' }),
    catalog,
    media,
    films: config.WALL_FILMS,
    pingSeconds: config.WALL_PING_SECONDS,
    eventName: config.EVENT_NAME,
    assets: { css: deps.assets.get('wall.css')?.url ?? '/static/wall.css', js: deps.assets.get('wall.js')?.url ?? '/static/wall.js' },
    ctxFor,
    sendHtml,
    headers: securityHeaders,
  });

  // ---- moderation ---------------------------------------------------------

  if (config.GALLERY_ADMIN_TOKEN) {
    if (!deps.sessions) throw new Error('admin sessions are required with GALLERY_ADMIN_TOKEN');
    registerAdminRoutes(app, {
      config,
      log,
      catalog,
      moderation,
      sessions: deps.sessions,
      // Wrong guesses only: 10 at once, then one every 6 s per client, checked before the token.
      guard: createAdminGuard(config.GALLERY_ADMIN_TOKEN, new RateLimiter(10, 6_000, now)),
      actionLimiter: new RateLimiter(60, 1_000, now),
      https,
      clientKey,
      cookies: (req) => parseCookies(req.headers.cookie),
      ctxFor,
      sendHtml,
    });
  }

  if (deps.benchRoute) {
    // The benchmark's baseline: the body `path` answered once, sent again as is.
    const precomputed = new Map<string, { body: Buffer; type: string }>();
    app.get('/_bench/precomputed', async (req, reply) => {
      const path = String((req.query as Record<string, unknown>).path ?? '/');
      let hit = precomputed.get(path);
      if (!hit) {
        const res = await app.inject({ method: 'GET', url: path });
        hit = { body: res.rawPayload, type: String(res.headers['content-type'] ?? 'text/plain') };
        precomputed.set(path, hit);
      }
      return reply.type(hit.type).header('cache-control', 'no-cache').send(hit.body);
    });
  }

  return app;
}
