import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type FilmMeta, isValidId } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { type Catalog, type CatalogView, compareFilms } from './catalog.js';
import type { GalleryConfig } from './config.js';
import type { Logger } from './log.js';
import type { Moderation } from './moderation.js';
import type { PageContext } from './pages/layout.js';
import { renderAdmin } from './pages/pages.js';
import type { RateLimiter } from './ratelimit.js';
import { redisOptions } from './store.js';

export const ADMIN_COOKIE = 'sms_admin';

// ---- messages -------------------------------------------------------------

/** The only texts `/admin?msg=` can show: a link can name a code, never write the words. */
export const ADMIN_MESSAGES = {
  wrong_token: 'Wrong token',
  sign_in: 'Please sign in',
  signed_out: 'Signed out',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  unavailable: 'Sign-in is unavailable right now (the session store does not answer). The bearer API still works.',
  hidden: 'Hidden',
  shown: 'Shown again',
  not_found: 'Not found',
  removed: 'Removed by its owner: it cannot be shown again',
} as const;
export type AdminMessageCode = keyof typeof ADMIN_MESSAGES;

const isCode = (v: unknown): v is AdminMessageCode => typeof v === 'string' && Object.hasOwn(ADMIN_MESSAGES, v);

/** The text for `?msg=<code>&id=<id>`, or nothing for an unknown code. */
export function adminMessage(code: unknown, id?: unknown): string | undefined {
  if (!isCode(code)) return undefined;
  return isValidId(id) ? `${ADMIN_MESSAGES[code]}: ${id}` : ADMIN_MESSAGES[code];
}

export const adminLocation = (code: AdminMessageCode, id?: string) => `/admin?msg=${code}${id ? `&id=${encodeURIComponent(id)}` : ''}`;

// ---- the token ------------------------------------------------------------

const COMPARE_KEY = randomBytes(32);

/** Equality of two secrets in constant time whatever their lengths (both are MACed first). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHmac('sha256', COMPARE_KEY).update(given, 'utf8').digest();
  const b = createHmac('sha256', COMPARE_KEY).update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type GuardResult = 'ok' | 'denied' | 'limited';

/**
 * The admin token's brake. The budget is looked at before the token is compared,
 * so a client that has spent it is refused even when it finally sends the right
 * token; only wrong guesses spend it, so an operator's script is never slowed.
 */
export function createAdminGuard(token: string, failures: RateLimiter) {
  return {
    check(client: string, given: string | undefined): GuardResult {
      if (!failures.available(client)) return 'limited';
      if (given !== undefined && secretEquals(given, token)) return 'ok';
      failures.take(client);
      return 'denied';
    },
  };
}
export type AdminGuard = ReturnType<typeof createAdminGuard>;

// ---- sessions -------------------------------------------------------------

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface AdminSessions {
  readonly ttlSeconds: number;
  /** A new random session; its id is the cookie value. Throws when the store is unreachable. */
  create(): Promise<string>;
  /** False for unknown, revoked, expired or unreachable (fails closed). */
  valid(id: string | undefined): Promise<boolean>;
  revoke(id: string | undefined): Promise<void>;
  stop(): Promise<void>;
}

interface SessionRecord {
  exp: number;
  /** Which admin token signed it in: changing the token signs everyone out. */
  fp: string;
}

/**
 * Random per sign-in, kept server-side under a digest of the id (a copy of the
 * store holds no usable cookie), expiring, revoked on sign-out. In Redis when the
 * gallery has one, so every instance knows every session; else in this process.
 */
export function createAdminSessions(opts: {
  token: string;
  ttlSeconds: number;
  redisUrl?: string | undefined;
  namespace: string;
  log: Logger;
  now?: () => number;
}): AdminSessions {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlSeconds * 1000;
  const fp = createHmac('sha256', opts.token).update('gallery-admin-session-v2').digest('hex').slice(0, 32);
  const keyOf = (id: string) => `${opts.namespace}:admin-session:${createHash('sha256').update(id).digest('hex')}`;
  const parse = (raw: string | null | undefined): SessionRecord | null => {
    if (!raw) return null;
    try {
      const r = JSON.parse(raw) as SessionRecord;
      return typeof r.exp === 'number' && typeof r.fp === 'string' ? r : null;
    } catch {
      return null;
    }
  };
  const live = (r: SessionRecord | null) => r !== null && r.exp > now() && r.fp === fp;

  if (!opts.redisUrl) {
    const map = new Map<string, SessionRecord>();
    return {
      ttlSeconds: opts.ttlSeconds,
      async create() {
        const t = now();
        for (const [k, r] of map) if (r.exp <= t) map.delete(k);
        if (map.size >= 1000) map.delete(map.keys().next().value as string);
        const id = randomBytes(32).toString('base64url');
        map.set(keyOf(id), { exp: t + ttlMs, fp });
        return id;
      },
      async valid(id) {
        return id !== undefined && SESSION_ID.test(id) && live(map.get(keyOf(id)) ?? null);
      },
      async revoke(id) {
        if (id && SESSION_ID.test(id)) map.delete(keyOf(id));
      },
      async stop() {
        map.clear();
      },
    };
  }

  const client = new Redis(opts.redisUrl, { ...redisOptions(), connectionName: 'gallery-sessions' });
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) opts.log.warn({ event: 'sessions.unavailable', err: err.message }, 'admin session store unreachable; sign-in refused');
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  client.connect().catch(() => {});
  return {
    ttlSeconds: opts.ttlSeconds,
    async create() {
      const id = randomBytes(32).toString('base64url');
      await client.set(keyOf(id), JSON.stringify({ exp: now() + ttlMs, fp } satisfies SessionRecord), 'PX', ttlMs);
      return id;
    },
    async valid(id) {
      if (id === undefined || !SESSION_ID.test(id)) return false;
      try {
        return live(parse(await client.get(keyOf(id))));
      } catch {
        return false;
      }
    },
    async revoke(id) {
      if (id && SESSION_ID.test(id)) await client.del(keyOf(id));
    },
    async stop() {
      client.disconnect();
    },
  };
}

// ---- routes ---------------------------------------------------------------

export interface AdminRouteDeps {
  config: GalleryConfig;
  log: Logger;
  catalog: Catalog;
  moderation: Moderation;
  sessions: AdminSessions;
  guard: AdminGuard;
  /** Signed-in moderation actions: plenty for a person, a brake on a runaway script. */
  actionLimiter: RateLimiter;
  https: boolean;
  clientKey: (req: FastifyRequest) => string;
  cookies: (req: FastifyRequest) => Record<string, string>;
  ctxFor: (req: FastifyRequest, reply: FastifyReply) => PageContext;
  sendHtml: (reply: FastifyReply, status: number, body: string, cache?: string) => FastifyReply;
}

const allFilms = (view: CatalogView): FilmMeta[] => [...view.byId.values()].sort(compareFilms);
const removedFilms = (view: CatalogView) =>
  [...view.removed].map(([id, removedAt]) => ({ id, removedAt })).sort((x, y) => (x.id < y.id ? 1 : -1));

/** Moderation: the admin page with its forms, and the same as a bearer-token API. */
export function registerAdminRoutes(app: FastifyInstance, d: AdminRouteDeps): void {
  const { config, catalog, moderation, sessions, guard } = d;
  const rateLimited = (reply: FastifyReply) =>
    reply
      .code(429)
      .header('retry-after', '60')
      .send({ error: { code: 'rate_limited', message: 'slow down' } });

  /** Forms post from our own pages only (the session cookie is also SameSite=Strict). */
  const sameOrigin = (req: FastifyRequest): boolean => {
    const origin = req.headers.origin;
    if (!origin) return true;
    try {
      return new URL(origin).host === req.host;
    } catch {
      return false;
    }
  };
  const sessionOf = (req: FastifyRequest) => d.cookies(req)[ADMIN_COOKIE];
  const adminPage = async (req: FastifyRequest, reply: FastifyReply, status: number, message: string | undefined) => {
    const loggedIn = await sessions.valid(sessionOf(req));
    const view = loggedIn ? await catalog.current() : null;
    return d.sendHtml(
      reply,
      status,
      // The page's own links never repeat what the query said.
      renderAdmin(
        { ...d.ctxFor(req, reply), path: '/admin' },
        {
          loggedIn,
          films: view ? allFilms(view) : [],
          removed: view ? removedFilms(view) : [],
          ...(message ? { message } : {}),
        },
      ),
      'no-store',
    );
  };

  app.get('/admin', async (req, reply) => {
    if (!config.GALLERY_ADMIN_TOKEN) return reply.callNotFound();
    const q = req.query as Record<string, unknown>;
    return adminPage(req, reply, 200, adminMessage(q.msg, q.id));
  });

  app.post<{ Body: { token?: unknown } }>('/admin/login', async (req, reply) => {
    if (!config.GALLERY_ADMIN_TOKEN) return reply.callNotFound();
    if (!sameOrigin(req)) return reply.code(403).send({ error: { code: 'forbidden', message: 'cross-site form' } });
    const token = typeof req.body?.token === 'string' ? req.body.token : undefined;
    const verdict = guard.check(d.clientKey(req), token);
    if (verdict === 'limited') return adminPage(req, reply.header('retry-after', '60'), 429, ADMIN_MESSAGES.rate_limited);
    if (verdict === 'denied') {
      d.log.warn({ event: 'admin.login_failed', ip: req.ip }, 'admin sign-in with a wrong token');
      return reply.redirect(adminLocation('wrong_token'), 303);
    }
    let id: string;
    try {
      id = await sessions.create();
    } catch (err) {
      d.log.warn({ event: 'admin.session_failed', err: (err as Error).message }, 'could not store an admin session');
      return adminPage(req, reply, 503, ADMIN_MESSAGES.unavailable);
    }
    // The old session (if any) ends with the new one.
    await sessions.revoke(sessionOf(req)).catch(() => {});
    reply.header(
      'set-cookie',
      `${ADMIN_COOKIE}=${id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${sessions.ttlSeconds}${d.https ? '; Secure' : ''}`,
    );
    return reply.redirect('/admin', 303);
  });

  app.post('/admin/logout', async (req, reply) => {
    if (!config.GALLERY_ADMIN_TOKEN) return reply.callNotFound();
    if (sameOrigin(req)) {
      try {
        await sessions.revoke(sessionOf(req));
      } catch (err) {
        d.log.warn({ event: 'admin.logout_failed', err: (err as Error).message }, 'could not revoke an admin session');
        return adminPage(req, reply, 503, ADMIN_MESSAGES.unavailable);
      }
    }
    reply.header('set-cookie', `${ADMIN_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0${d.https ? '; Secure' : ''}`);
    return reply.redirect(adminLocation('signed_out'), 303);
  });

  app.post<{ Params: { id: string; action: string } }>('/admin/m/:id/:action', async (req, reply) => {
    if (!config.GALLERY_ADMIN_TOKEN) return reply.callNotFound();
    const { id, action } = req.params;
    if (!sameOrigin(req) || !(await sessions.valid(sessionOf(req)))) return reply.redirect(adminLocation('sign_in'), 303);
    if (!d.actionLimiter.take(d.clientKey(req))) return rateLimited(reply);
    if (!isValidId(id) || (action !== 'hide' && action !== 'unhide')) return reply.callNotFound();
    const result = await moderation.setHidden(id, action === 'hide');
    const code: AdminMessageCode = result.ok
      ? action === 'hide'
        ? 'hidden'
        : 'shown'
      : result.reason === 'removed'
        ? 'removed'
        : 'not_found';
    return reply.redirect(adminLocation(code, id), 303);
  });

  /** Bearer-token API: the budget first, then the token. */
  const bearer = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const verdict = guard.check(d.clientKey(req), given);
    if (verdict === 'ok') return true;
    if (verdict === 'limited') rateLimited(reply);
    else reply.code(401).send({ error: { code: 'unauthorized', message: 'admin token required' } });
    return false;
  };

  app.get('/api/admin/movies', async (req, reply) => {
    if (!config.GALLERY_ADMIN_TOKEN) return reply.callNotFound();
    if (!bearer(req, reply)) return reply;
    const view = await catalog.current();
    return {
      movies: [
        ...allFilms(view).map((f) => ({
          id: f.id,
          title: f.title ?? null,
          createdAt: f.createdAt,
          hidden: f.hidden === true,
          state: f.hidden ? 'hidden' : 'visible',
        })),
        ...removedFilms(view).map((r) => ({
          id: r.id,
          title: null,
          createdAt: null,
          hidden: true,
          state: 'removed',
          removedAt: r.removedAt,
        })),
      ],
    };
  });

  app.post<{ Params: { id: string; action: string } }>('/api/admin/movies/:id/:action', async (req, reply) => {
    if (!config.GALLERY_ADMIN_TOKEN) return reply.callNotFound();
    if (!bearer(req, reply)) return reply;
    if (!d.actionLimiter.take(d.clientKey(req))) return rateLimited(reply);
    const { id, action } = req.params;
    if (!isValidId(id) || (action !== 'hide' && action !== 'unhide')) return reply.callNotFound();
    const result = await moderation.setHidden(id, action === 'hide');
    if (!result.ok && result.reason === 'removed') {
      return reply.code(410).send({ error: { code: 'removed', message: 'removed by its owner; it cannot be shown again' } });
    }
    if (!result.ok) return reply.code(404).send({ error: { code: 'not_found', message: 'no such film' } });
    return { ok: true, id, hidden: result.meta.hidden === true };
  });
}
