import type { FastifyPluginAsync } from 'fastify';
import QRCode from 'qrcode';
import type { WebContext } from '../http/context.js';
import { type WallQuery, wallQuery } from '../http/schemas.js';
import { renderWall, WALL_MAX_TILES, WALL_TILES } from '../pages/wall.js';
import { MAX_WALL_STREAMS, WallFeed, type WallFeedOptions } from '../wall.js';

export interface WallRoutesOptions extends WallFeedOptions {
  /** EVENT_NAME; unset = the site's name in the page's language. */
  eventName?: string | undefined;
  assets: { css: string; js: string };
  web: WebContext;
  /** Headers helmet cannot put on the raw event stream (it writes its own on the raw response already). */
  streamHeaders: Record<string, string>;
}

const QR_CACHE_MAX = 16;

/** `GET /wall` (the page), `GET /wall/events` (its film list as server-sent events), `GET /wall/films` (the same once, as JSON). */
export const wallRoutes: FastifyPluginAsync<WallRoutesOptions> = async (app, opts) => {
  const { web } = opts;
  const feed = new WallFeed(opts);
  const qrCache = new Map<string, Promise<string>>();
  const qrFor = (url: string) => {
    let hit = qrCache.get(url);
    if (!hit) {
      if (qrCache.size >= QR_CACHE_MAX) qrCache.delete(qrCache.keys().next().value as string);
      hit = QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then(
        (svg) => `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
      );
      hit.catch(() => qrCache.delete(url));
      qrCache.set(url, hit);
    }
    return hit;
  };

  // Walls stay connected for days: end their streams before the server waits for open connections.
  app.addHook('preClose', async () => feed.stop());

  app.get<{ Querystring: WallQuery }>('/wall', { schema: { querystring: wallQuery }, attachValidation: true }, async (req, reply) => {
    const asked = !req.validationError && typeof req.query.tiles === 'string' ? Number.parseInt(req.query.tiles, 10) : Number.NaN;
    const tiles = Number.isFinite(asked) ? Math.min(WALL_MAX_TILES, Math.max(1, asked)) : WALL_TILES;
    const ctx = { ...web.ctxFor(req, reply), path: tiles === WALL_TILES ? '/wall' : `/wall?tiles=${tiles}` };
    const galleryUrl = `${ctx.baseUrl}/`;
    const body = renderWall(ctx, {
      eventName: opts.eventName ?? ctx.t.siteName,
      galleryUrl,
      qrSrc: await qrFor(galleryUrl),
      tiles,
      silenceMs: opts.pingSeconds * 3000,
      assets: opts.assets,
    });
    return web.sendHtml(reply, 200, body, 'no-cache');
  });

  app.get('/wall/films', async (_req, reply) => {
    const films = await feed.list(await opts.catalog.current());
    return reply.header('cache-control', 'no-store').send({ films });
  });

  app.get('/wall/events', async (req, reply) => {
    if (feed.size >= MAX_WALL_STREAMS) {
      opts.log.warn({ event: 'wall.full', streams: feed.size }, 'too many walls on this instance');
      return reply
        .code(503)
        .header('retry-after', '30')
        .send({ error: { code: 'too_many_walls', message: 'too many walls' } });
    }
    reply.hijack();
    req.raw.socket.setNoDelay(true);
    if (!(await feed.open(reply.raw, opts.streamHeaders))) reply.raw.writeHead(503, { ...opts.streamHeaders, 'retry-after': '5' }).end();
  });
};
