import type { FastifyInstance } from 'fastify';
import { renderMessage } from '../pages/pages.js';
import type { WebContext } from './context.js';

/** JSON for the API and for every 4xx, `{error:{code,message}}`; a page in the visitor's language for a 5xx of a page. */
export function registerErrorReplies(app: FastifyInstance, web: WebContext): void {
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
      body = renderMessage(web.ctxFor(req, reply), 'error');
    } catch {
      body = '<!doctype html><title>Error</title><p>Something went wrong. Please try again in a moment.</p>';
    }
    return web.sendHtml(reply, status, body);
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
    return web.sendHtml(reply, 404, renderMessage(web.ctxFor(req, reply), 'notFound'));
  });
}
