// Renamed: a fastify setup function, not a React hook, whatever its name says to the linter.
import { HttpError, useHttpErrors as installHttpErrors, sendError } from '@stop-motion/kit';
import { httpErrorCodeFor } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../log.js';
import { renderMessage } from '../pages/pages.js';
import type { WebContext } from './context.js';

/**
 * The gallery's own words, carried as `reason` beside the code every service shares:
 * what a client needs to tell apart within one status (a film on its way from one that
 * never comes). Listed in the README.
 */
export type GalleryReason = 'bad_cursor' | 'not_yet' | 'in_review' | 'private' | 'removed' | 'too_many_walls' | 'removal_incomplete';

/** Answers `status` with the one error body `{ error: { code, message, reason? } }`, the code the status's own. */
export function fail(reply: FastifyReply, status: number, message: string, reason?: GalleryReason): FastifyReply {
  return sendError(reply, status, httpErrorCodeFor(status), message, reason === undefined ? {} : { reason });
}

const isApi = (url: string) => url.startsWith('/api/');

/** A service error thrown with a `statusCode` (the catalog, moderation) as the one body; a 503 names no detail. */
function galleryRefusal(err: unknown): HttpError | undefined {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  if (e?.statusCode !== 503) return undefined;
  const reason = e.code === 'removal_incomplete' ? 'removal_incomplete' : undefined;
  return new HttpError(503, 'unavailable', 'temporarily unavailable', reason);
}

/**
 * kit's error handling, so every JSON error is the one body: the API and every 4xx answer
 * it; a 5xx or a missing page outside /api/ is a page in the visitor's language instead.
 */
export function registerErrorReplies(app: FastifyInstance, web: WebContext, log: Logger): void {
  installHttpErrors(app, {
    log,
    translate: galleryRefusal,
    event: 'request.failed',
    page: (req, reply, status) => {
      if (isApi(req.url)) return undefined;
      if (status === 404) return web.sendHtml(reply, 404, renderMessage(web.ctxFor(req, reply), 'notFound'));
      let body: string;
      try {
        body = renderMessage(web.ctxFor(req, reply), 'error');
      } catch {
        body = '<!doctype html><title>Error</title><p>Something went wrong. Please try again in a moment.</p>';
      }
      return web.sendHtml(reply, status, body);
    },
  });
}
