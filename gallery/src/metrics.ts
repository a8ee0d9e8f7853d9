import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { PageCaches } from './pagecache.js';
import type { FilmBucket } from './s3.js';
import { bearerToken, secretEquals } from './secret.js';

const BUCKET_CALLS = ['listMeta', 'listKeys', 'deleteKey', 'getText', 'putJson', 'presignGet'] as const;

/**
 * The gallery's Prometheus metrics (names in the README). /metrics is served only
 * with METRICS_TOKEN set, and only to a bearer of it: the gallery faces the public,
 * often behind a PaaS router that exposes one port, where a second loopback port
 * would be unreachable for the Prometheus that runs elsewhere.
 */
export class GalleryMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly cache: Counter<'cache' | 'result'>;
  private readonly s3Errors: Counter<'call'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'stopmotion_gallery_requests_total',
      help: 'HTTP requests answered, by route pattern (unmatched: no route) and status code.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.cache = new Counter({
      name: 'stopmotion_gallery_page_cache_total',
      help: 'Look-ups in the rendered page and API answer caches, by cache (page, api) and result (hit, miss).',
      labelNames: ['cache', 'result'],
      registers,
    });
    this.s3Errors = new Counter({
      name: 'stopmotion_gallery_s3_errors_total',
      help: 'S3 calls that failed (S3 away, stopped or refusing), by call.',
      labelNames: ['call'],
      registers,
    });
    for (const cache of ['page', 'api']) for (const result of ['hit', 'miss']) this.cache.inc({ cache, result }, 0);
    for (const call of BUCKET_CALLS) this.s3Errors.inc({ call }, 0);
  }

  /** Counts hits and misses of both caches. */
  watchCaches(caches: PageCaches): void {
    caches.pages.onLookup = (hit) => this.cache.inc({ cache: 'page', result: hit ? 'hit' : 'miss' });
    caches.api.onLookup = (hit) => this.cache.inc({ cache: 'api', result: hit ? 'hit' : 'miss' });
  }

  /** The same bucket, counting every call that throws. */
  wrapBucket(bucket: FilmBucket): FilmBucket {
    const wrapped = { bucket: bucket.bucket } as FilmBucket;
    for (const call of BUCKET_CALLS) {
      const fn = bucket[call] as (...args: unknown[]) => Promise<unknown>;
      (wrapped as unknown as Record<string, unknown>)[call] = async (...args: unknown[]) => {
        try {
          return await fn.apply(bucket, args);
        } catch (err) {
          this.s3Errors.inc({ call });
          throw err;
        }
      };
    }
    return wrapped;
  }

  /** Counts every answer, and serves /metrics to a bearer of `token` (none: no /metrics at all). */
  register(app: FastifyInstance, token: string | undefined): void {
    app.addHook('onResponse', async (req, reply) => {
      this.requests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
    });
    if (!token) return;
    app.get('/metrics', async (req, reply) => {
      const given = bearerToken(req.headers.authorization);
      if (!given || !secretEquals(given, token)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: { code: 'unauthorized', message: 'a valid METRICS_TOKEN is required' } });
      }
      return reply
        .type(this.registry.contentType)
        .header('cache-control', 'no-store')
        .send(await this.registry.metrics());
    });
  }
}
