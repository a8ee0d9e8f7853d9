import type { FastifyPluginAsync } from 'fastify';

/**
 * `GET /_bench/precomputed?path=` — the benchmark's baseline: the body `path` answered once,
 * sent again as is. Registered only by the benchmark, never by the gallery itself.
 */
export const precomputedRoute: FastifyPluginAsync = async (app) => {
  const precomputed = new Map<string, { body: Buffer; type: string }>();
  app.get<{ Querystring: { path?: string } }>(
    '/_bench/precomputed',
    { schema: { querystring: { type: 'object', properties: { path: { type: 'string', maxLength: 200 } } } } },
    async (req, reply) => {
      const path = req.query.path ?? '/';
      let hit = precomputed.get(path);
      if (!hit) {
        const res = await app.inject({ method: 'GET', url: path });
        hit = { body: res.rawPayload, type: String(res.headers['content-type'] ?? 'text/plain') };
        precomputed.set(path, hit);
      }
      return reply.type(hit.type).header('cache-control', 'no-cache').send(hit.body);
    },
  );
};
