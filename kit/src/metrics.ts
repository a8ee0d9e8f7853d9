import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { sendError } from './http-errors.js';

/**
 * A service's own Prometheus registry, with prom-client's default process metrics
 * (`process_*`, `nodejs_*`: CPU, memory, event loop lag, GC) that dashboards expect.
 * Its own, not prom-client's global one, so two services in one process (the tests)
 * never share a counter.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Constant-time comparison of a secret someone sent with the one configured; nothing sent never matches. */
export function secretEquals(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface MetricsRouteOptions {
  /** Only a bearer of it is served (the gallery, which faces the public); none: the server's own guards decide. */
  token?: string;
  /** The variable holding the token, named in the 401. */
  tokenName?: string;
}

/**
 * `GET /metrics`: the registry in Prometheus text format, never cached. With a token,
 * anyone else gets 401 with `WWW-Authenticate: Bearer` (the one error body).
 */
export function serveMetrics(app: FastifyInstance, registry: Registry, o: MetricsRouteOptions = {}): void {
  const token = o.token;
  app.get('/metrics', async (req, reply) => {
    if (token !== undefined) {
      const header = req.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!secretEquals(given, token)) {
        reply.header('www-authenticate', 'Bearer');
        return sendError(reply, 401, 'unauthorized', `a valid ${o.tokenName ?? 'token'} is required`);
      }
    }
    return reply
      .type(registry.contentType)
      .header('cache-control', 'no-store')
      .send(await registry.metrics());
  });
}
