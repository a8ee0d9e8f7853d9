import type { Socket } from 'node:net';
import { type HttpErrorBody, type HttpErrorCode, httpErrorCodeFor } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from './log.js';

/** A refusal a route throws; answered as the one error body with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    /** A service's own word for the refusal, beside the code (the station's `limit_reached`). */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** Messages are for people and short; a client never gets a stack or a dump of its own input. */
const MAX_MESSAGE = 300;
const clip = (s: string) => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);

export function errorBody(code: HttpErrorCode, message: string, reason?: string): HttpErrorBody {
  return { error: reason === undefined ? { code, message: clip(message) } : { code, message: clip(message), reason } };
}

/** Answers `status` with the one error body; `envelope` holds fields beside `error` (the processor's `ok: false`). */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: HttpErrorCode,
  message: string,
  opts: { reason?: string; envelope?: Readonly<Record<string, unknown>> } = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ ...opts.envelope, ...errorBody(code, message, opts.reason) });
}

export interface HttpErrorsOptions {
  log: Pick<Logger, 'error'>;
  /** Fields every error body carries beside `error` (the processor's `ok: false`). */
  envelope?: Readonly<Record<string, unknown>>;
  /** A service's own errors thrown by its routes, as an HttpError; undefined for anything else. */
  translate?: (err: unknown) => HttpError | undefined;
  /** The event of the log line of a request that failed on our side (5xx); `http.error` unless told. */
  event?: string;
}

export interface ErrorReplies {
  /** Answers `status` with the one error body (plus the envelope). */
  send(reply: FastifyReply, status: number, code: HttpErrorCode, message: string, reason?: string): FastifyReply;
}

/** The status of an error fastify or a plugin threw: its own 4xx/5xx, or 500. */
function statusOf(err: unknown): number {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500;
}

/**
 * Makes every error answer of `app` the one body `{ error: { code, message } }`: the
 * routes' own refusals (through the returned `send`, or a thrown HttpError), fastify's
 * validation errors (400), bodies too large (413) or of a type nobody parses (415), unknown
 * routes (404) and anything a route throws (500: a fixed message, the real one logged,
 * never sent). Call on the root instance before any route or plugin is registered, so
 * every scope inherits it.
 */
export function useHttpErrors(app: FastifyInstance, o: HttpErrorsOptions): ErrorReplies {
  const envelope = o.envelope;
  const send: ErrorReplies['send'] = (reply, status, code, message, reason) =>
    sendError(reply, status, code, message, { reason, envelope });
  app.setErrorHandler((err, req, reply) => {
    const known = err instanceof HttpError ? err : o.translate?.(err);
    if (known) return send(reply, known.status, known.code, known.message, known.reason);
    const status = statusOf(err);
    if (status < 500) return send(reply, status, httpErrorCodeFor(status), err instanceof Error ? err.message : 'bad request');
    o.log.error(
      { event: o.event ?? 'http.error', err: err instanceof Error ? err.message : String(err), url: req.url.split('?')[0]?.slice(0, 200) },
      'request failed',
    );
    return send(reply, status, httpErrorCodeFor(status), 'internal error');
  });
  app.setNotFoundHandler((req, reply) => send(reply, 404, 'not_found', `no route ${req.method} ${clip(req.url.split('?')[0] ?? '')}`));
  return { send };
}

const CLIENT_ERRORS: Record<string, [number, string, HttpErrorCode]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'too_large'],
};

/**
 * Fastify's `clientErrorHandler` option: a request too broken to reach the router
 * (a bad request line, headers too large, too slow) still gets the one body.
 */
export function httpClientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, label, code] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'bad_request'];
  const body = JSON.stringify(errorBody(code, label.toLowerCase()));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${label}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
