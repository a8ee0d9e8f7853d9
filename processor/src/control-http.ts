// The control room's HTTP side: the page, its API and live snapshots (CONTROL_TOKEN by
// bearer header or cookie), the operator's actions, and the station report route.
import type { ServerResponse } from 'node:http';
import { secretEquals } from '@stop-motion/kit';
import { isValidId, MAX_REPORT_BYTES, REPORT_PATH, stationActionKindSchema } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderControlPage } from './control-page.js';
import type { ControlSnapshot } from './control-snapshot.js';
import { sendError } from './http-errors.js';
import type { Logger } from './log.js';
import type { StationBook } from './station-reports.js';

/** What the routes need of the room. */
export interface ControlRoutesDeps {
  /** CONTROL_TOKEN; without it the routes answer 404. */
  token: string | undefined;
  book: StationBook;
  screen: { skip(): Promise<void>; replay(id: string): Promise<boolean>; holdOnSlide(hold: boolean): Promise<void> };
  takeDown(id: string, why: string): Promise<void>;
  log: Logger;
  current(): Promise<ControlSnapshot>;
  /** Markup of our own embedded in the page (the review section). */
  embedded(): string;
  /** A page that follows the snapshots until it closes; returns its removal. */
  follow(res: ServerResponse): () => void;
  /** A fresh snapshot after an operator's action. */
  refresh(): void;
}

const COOKIE = 'stop_motion_control';

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function authorised(req: FastifyRequest, token: string | undefined): boolean {
  if (!token) return false;
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  return secretEquals(bearer ?? cookieValue(req.headers.cookie, COOKIE), token);
}

/** The station report route alone, also for a listener of its own on the LAN (REPORT_PORT). */
export function registerReportRoute(app: FastifyInstance, book: StationBook): void {
  app.register((scope, _opts, done) => {
    // The signature covers the exact bytes, so the body is kept as text.
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_REPORT_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    scope.post(REPORT_PATH, async (req, reply) => {
      const result = await book.receive(req.headers, typeof req.body === 'string' ? req.body : '', req.ip);
      if (result.status === 200 && 'reply' in result) return result.reply;
      const refusal = result as { status: number; code: string; reason: string };
      return reply.code(refusal.status).send({
        ok: false,
        error: { code: refusal.code, message: refusal.code === 'clock' ? refusal.reason : 'report refused' },
        ...(refusal.code === 'clock' ? { serverTime: new Date().toISOString() } : {}),
      });
    });
    done();
  });
}

export function registerControlRoutes(app: FastifyInstance, deps: ControlRoutesDeps): void {
  const { token, book, screen, log } = deps;
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (token === undefined) {
      await sendError(reply, 404, 'not_found', 'the control room is off: set CONTROL_TOKEN');
      return false;
    }
    if (authorised(req, token)) return true;
    await sendError(reply, 401, 'unauthorized', 'a valid CONTROL_TOKEN is required');
    return false;
  };
  app.get<{ Querystring: { token?: string } }>('/control', async (req, reply) => {
    const given = req.query.token;
    if (given !== undefined && token && secretEquals(given, token)) {
      // The token moves into a cookie and out of the address bar (and of history and screenshots).
      return reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect('/control', 303);
    }
    if (!(await guard(req, reply))) return reply;
    return (
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        // 'self' scripts for an embedded section's script; blob: media for films it plays.
        .header(
          'content-security-policy',
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; media-src 'self' blob:",
        )
        .send(renderControlPage(await deps.current(), deps.embedded()))
    );
  });
  app.get('/api/stations', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    return { stations: await book.views() };
  });
  app.get('/api/control', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    return deps.current();
  });
  app.get('/api/control/events', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(await deps.current())}\n\n`);
    const unfollow = deps.follow(res);
    const ping = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': ping\n\n');
    }, 15_000);
    ping.unref();
    req.raw.on('close', () => {
      clearInterval(ping);
      unfollow();
    });
  });
  app.post<{ Params: { id: string; action: string } }>('/api/control/stations/:id/:action', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const { id, action } = req.params;
    if (!isValidId(id) || !(await book.knows(id))) return sendError(reply, 404, 'not_found', 'no such station');
    if (action === 'close' || action === 'open') {
      await book.setClosed(id, action === 'close');
      log.info({ event: 'operator.station', station: id, action, from: req.ip }, 'operator station');
    } else {
      const kind = stationActionKindSchema.safeParse(action);
      if (!kind.success) return sendError(reply, 404, 'not_found', 'no such action');
      const sent = await book.request(id, kind.data);
      log.info({ event: 'operator.station', station: id, action, id: sent.id, from: req.ip }, 'operator station');
    }
    deps.refresh();
    return { ok: true };
  });
  app.post<{ Params: { action: string } }>('/api/control/screen/:action', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    const { action } = req.params;
    if (action === 'skip') await screen.skip();
    else if (action === 'hold' || action === 'release') await screen.holdOnSlide(action === 'hold');
    else return sendError(reply, 404, 'not_found', 'no such action');
    log.info({ event: 'operator.screen', action, from: req.ip }, 'operator screen');
    deps.refresh();
    return { ok: true };
  });
  app.post<{ Params: { id: string } }>('/api/control/films/:id/replay', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    if (!isValidId(req.params.id)) return sendError(reply, 400, 'bad_request', 'invalid film id');
    if (!(await screen.replay(req.params.id))) return sendError(reply, 404, 'not_found', 'that film is not on the playlist');
    log.info({ event: 'operator.film', film: req.params.id, action: 'replay', from: req.ip }, 'operator film');
    deps.refresh();
    return { ok: true };
  });
  app.post<{ Params: { id: string } }>('/api/control/films/:id/take-down', async (req, reply) => {
    if (!(await guard(req, reply))) return reply;
    if (!isValidId(req.params.id)) return sendError(reply, 400, 'bad_request', 'invalid film id');
    await deps.takeDown(req.params.id, 'operator (control room)');
    log.info({ event: 'operator.film', film: req.params.id, action: 'take-down', from: req.ip }, 'operator film');
    deps.refresh();
    return { ok: true };
  });
}
