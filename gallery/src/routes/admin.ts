import type { FilmMeta } from '@stop-motion/protocol';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_COOKIE, ADMIN_MESSAGES, type AdminGuard, type AdminMessageCode, adminLocation, adminMessage } from '../admin.js';
import type { AdminSessions } from '../admin-sessions.js';
import { type Catalog, type CatalogView, compareFilms } from '../catalog.js';
import type { WebContext } from '../http/context.js';
import { type ActionParams, type AdminQuery, actionParams, adminQuery } from '../http/schemas.js';
import type { Logger } from '../log.js';
import type { Moderation } from '../moderation.js';
import { renderAdmin } from '../pages/pages.js';
import type { RateLimiter } from '../ratelimit.js';
import { bearerToken } from '../secret.js';

export interface AdminRoutesOptions {
  log: Logger;
  catalog: Catalog;
  moderation: Moderation;
  sessions: AdminSessions;
  guard: AdminGuard;
  /**
   * Signed-in moderation actions: plenty for a person, a brake on a runaway script. Not
   * @fastify/rate-limit: it counts at a hook before the handler, this counts only actions of a
   * client that is signed in (an unauthenticated request is refused, and spends the guard's budget).
   */
  actionLimiter: RateLimiter;
  web: WebContext;
}

const allFilms = (view: CatalogView): FilmMeta[] => [...view.byId.values()].sort(compareFilms);
const removedFilms = (view: CatalogView) =>
  [...view.removed].map(([id, removedAt]) => ({ id, removedAt })).sort((x, y) => (x.id < y.id ? 1 : -1));

/** Forms post from our own pages only (the session cookie is also SameSite=Strict). */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false;
  }
}

const rateLimited = (reply: FastifyReply) =>
  reply
    .code(429)
    .header('retry-after', '60')
    .send({ error: { code: 'rate_limited', message: 'slow down' } });

/** Moderation: the admin page with its forms, and the same as a bearer-token API. Registered only with GALLERY_ADMIN_TOKEN. */
export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, opts) => {
  const { log, catalog, moderation, sessions, guard, actionLimiter, web } = opts;
  const cookieFlags = { path: '/admin', httpOnly: true, sameSite: 'strict', secure: web.https } as const;
  const sessionOf = (req: FastifyRequest) => req.cookies[ADMIN_COOKIE];
  const adminPage = async (req: FastifyRequest, reply: FastifyReply, status: number, message: string | undefined) => {
    const loggedIn = await sessions.valid(sessionOf(req));
    const view = loggedIn ? await catalog.current() : null;
    const films = view ? allFilms(view) : [];
    const removed = view ? removedFilms(view) : [];
    // The page's own links never repeat what the query said.
    const body = renderAdmin({ ...web.ctxFor(req, reply), path: '/admin' }, { loggedIn, films, removed, ...(message ? { message } : {}) });
    return web.sendHtml(reply, status, body, 'no-store');
  };

  app.get<{ Querystring: AdminQuery }>('/admin', { schema: { querystring: adminQuery }, attachValidation: true }, async (req, reply) => {
    const message = req.validationError ? undefined : adminMessage(req.query.msg, req.query.id);
    return adminPage(req, reply, 200, message);
  });

  app.post<{ Body: { token?: unknown } }>('/admin/login', async (req, reply) => {
    if (!sameOrigin(req)) return reply.code(403).send({ error: { code: 'forbidden', message: 'cross-site form' } });
    const token = typeof req.body?.token === 'string' ? req.body.token : undefined;
    const verdict = guard.check(web.clientKey(req), token);
    if (verdict === 'limited') return adminPage(req, reply.header('retry-after', '60'), 429, ADMIN_MESSAGES.rate_limited);
    if (verdict === 'denied') {
      log.warn({ event: 'admin.login_failed', ip: req.ip }, 'admin sign-in with a wrong token');
      return reply.redirect(adminLocation('wrong_token'), 303);
    }
    let id: string;
    try {
      id = await sessions.create();
    } catch (err) {
      log.warn({ event: 'admin.session_failed', err: (err as Error).message }, 'could not store an admin session');
      return adminPage(req, reply, 503, ADMIN_MESSAGES.unavailable);
    }
    // The old session (if any) ends with the new one.
    await sessions.revoke(sessionOf(req)).catch(() => {});
    reply.setCookie(ADMIN_COOKIE, id, { ...cookieFlags, maxAge: sessions.ttlSeconds });
    return reply.redirect('/admin', 303);
  });

  app.post('/admin/logout', async (req, reply) => {
    if (sameOrigin(req)) {
      try {
        await sessions.revoke(sessionOf(req));
      } catch (err) {
        log.warn({ event: 'admin.logout_failed', err: (err as Error).message }, 'could not revoke an admin session');
        return adminPage(req, reply, 503, ADMIN_MESSAGES.unavailable);
      }
    }
    reply.setCookie(ADMIN_COOKIE, '', { ...cookieFlags, maxAge: 0 });
    return reply.redirect(adminLocation('signed_out'), 303);
  });

  app.post<{ Params: ActionParams }>(
    '/admin/m/:id/:action',
    { schema: { params: actionParams }, attachValidation: true },
    async (req, reply) => {
      if (!sameOrigin(req) || !(await sessions.valid(sessionOf(req)))) return reply.redirect(adminLocation('sign_in'), 303);
      if (!actionLimiter.take(web.clientKey(req))) return rateLimited(reply);
      if (req.validationError) return reply.callNotFound();
      const { id, action } = req.params;
      const result = await moderation.setHidden(id, action === 'hide');
      const code: AdminMessageCode = result.ok
        ? action === 'hide'
          ? 'hidden'
          : 'shown'
        : result.reason === 'removed'
          ? 'removed'
          : 'not_found';
      return reply.redirect(adminLocation(code, id), 303);
    },
  );

  /** Bearer-token API: the budget first, then the token. */
  const bearer = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const verdict = guard.check(web.clientKey(req), bearerToken(req.headers.authorization));
    if (verdict === 'ok') return true;
    if (verdict === 'limited') rateLimited(reply);
    else reply.code(401).send({ error: { code: 'unauthorized', message: 'admin token required' } });
    return false;
  };

  app.get('/api/admin/movies', async (req, reply) => {
    if (!bearer(req, reply)) return reply;
    const view = await catalog.current();
    const shown = allFilms(view).map((f) => ({
      id: f.id,
      title: f.title ?? null,
      createdAt: f.createdAt,
      hidden: f.hidden === true,
      state: f.hidden ? 'hidden' : 'visible',
    }));
    const removed = removedFilms(view).map((r) => ({
      id: r.id,
      title: null,
      createdAt: null,
      hidden: true,
      state: 'removed',
      removedAt: r.removedAt,
    }));
    return { movies: [...shown, ...removed] };
  });

  app.post<{ Params: ActionParams }>(
    '/api/admin/movies/:id/:action',
    { schema: { params: actionParams }, attachValidation: true },
    async (req, reply) => {
      if (!bearer(req, reply)) return reply;
      if (!actionLimiter.take(web.clientKey(req))) return rateLimited(reply);
      if (req.validationError) return reply.callNotFound();
      const { id, action } = req.params;
      const result = await moderation.setHidden(id, action === 'hide');
      if (!result.ok && result.reason === 'removed') {
        return reply.code(410).send({ error: { code: 'removed', message: 'removed by its owner; it cannot be shown again' } });
      }
      if (!result.ok) return reply.code(404).send({ error: { code: 'not_found', message: 'no such film' } });
      return { ok: true, id, hidden: result.meta.hidden === true };
    },
  );
};
