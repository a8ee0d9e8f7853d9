import type { ServerResponse } from 'node:http';
import { type FilmMeta, sanitizeTitle } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { Catalog, CatalogView } from './catalog.js';
import type { Logger } from './log.js';
import type { PageContext } from './pages/layout.js';
import { renderWall, WALL_MAX_TILES, WALL_TILES } from './pages/wall.js';
import type { MediaUrls } from './urls.js';

/** What the wall's script gets for each film: enough to play it, nothing else. */
export interface WallFilm {
  id: string;
  title: string | null;
  posterUrl: string;
  videoUrl: string;
  width: number;
  height: number;
}

export interface WallDeps {
  log: Logger;
  catalog: Catalog;
  media: MediaUrls;
  /** How many of the newest public films the wall rotates through (WALL_FILMS). */
  films: number;
  /** WALL_PING_SECONDS: a ping this often; the page drops a stream silent for three times as long. */
  pingSeconds: number;
  /** EVENT_NAME; unset = the site's name in the page's language. */
  eventName?: string | undefined;
  assets: { css: string; js: string };
  ctxFor(req: FastifyRequest, reply: FastifyReply): PageContext;
  sendHtml(reply: FastifyReply, status: number, body: string, cache?: string): FastifyReply;
  /** Security headers for the raw event stream (it bypasses Fastify's onSend hook). */
  headers: Record<string, string>;
}

/** Walls one instance serves at once; more get a 503 and retry with backoff. */
export const MAX_WALL_STREAMS = 200;
/** While walls are connected: keep the list fresh (no Redis = no notices) and presigned links renewed. */
const TICK_MS = 5_000;

interface Stream {
  res: ServerResponse;
  /** The socket's buffer is full: only the newest list is kept for when it drains. */
  blocked: boolean;
  pending: string | null;
}

/**
 * The film list as an event stream for walls. Hello → snapshot → changes: each
 * stream gets the current list at once, then a new one whenever the catalog's view
 * changes (the same notices and refreshes the gallery's pages follow). One payload is
 * built per change and shared by every wall; a slow wall gets only the newest.
 */
export class WallFeed {
  private readonly streams = new Set<Stream>();
  private payload: string | null = null;
  private data: string | null = null;
  private building: Promise<void> | null = null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Streams waiting for the first list. */
  private opening = 0;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: Pick<WallDeps, 'log' | 'catalog' | 'media' | 'films' | 'pingSeconds'>) {
    this.unsubscribe = o.catalog.onView(() => this.schedule());
  }

  get size(): number {
    return this.streams.size;
  }

  /** The newest public films: the view holds neither hidden nor removed ones (private ones never reach S3). */
  async list(view: CatalogView): Promise<WallFilm[]> {
    return Promise.all(view.films.slice(0, this.o.films).map((f) => this.film(f)));
  }

  private async film(f: FilmMeta): Promise<WallFilm> {
    const [videoUrl, posterUrl] = await Promise.all([this.o.media.video(f), this.o.media.poster(f)]);
    return { id: f.id, title: sanitizeTitle(f.title), posterUrl, videoUrl, width: f.width, height: f.height };
  }

  private schedule(): void {
    if (this.streams.size + this.opening === 0) {
      this.payload = null; // built afresh for the next wall
      return;
    }
    if (this.building !== null) {
      this.dirty = true;
      return;
    }
    this.building = this.build()
      .catch((err: unknown) => this.o.log.warn({ event: 'wall.build_failed', err: (err as Error).message }, 'wall list not built'))
      .finally(() => {
        this.building = null;
        if (this.dirty) {
          this.dirty = false;
          this.schedule();
        }
      });
  }

  private async build(): Promise<void> {
    const view = this.o.catalog.peek();
    if (!view) return;
    const data = JSON.stringify({ films: await this.list(view) });
    if (data === this.data && this.payload) return;
    this.data = data;
    this.payload = `event: films\ndata: ${data}\n\n`;
    for (const s of this.streams) this.write(s, this.payload, true);
  }

  private write(s: Stream, text: string, keep: boolean): void {
    // Gone between its socket closing and the 'close' event: nothing to write to.
    if (s.res.destroyed || s.res.writableEnded) return;
    if (s.blocked) {
      if (keep) s.pending = text;
      return;
    }
    if (s.res.write(text)) return;
    s.blocked = true;
    s.res.once('drain', () => {
      s.blocked = false;
      const next = s.pending;
      s.pending = null;
      if (next) this.write(s, next, true);
    });
  }

  /** Takes over the response as an event stream; false when the instance already serves too many. */
  async open(res: ServerResponse, headers: Record<string, string>): Promise<boolean> {
    // Closing: a wall that reconnects now must not hold the shutdown open.
    if (this.stopped || this.streams.size + this.opening >= MAX_WALL_STREAMS) return false;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies (nginx) would hold the stream back otherwise.
      'x-accel-buffering': 'no',
      // The socket goes with the stream: an ended stream never lingers as a keep-alive connection.
      connection: 'close',
    });
    if (!this.payload) {
      // The first wall (or the first since the list changed unwatched): wait for the list.
      this.opening++;
      try {
        await this.o.catalog.current().catch(() => {});
        this.schedule();
        await this.building;
      } finally {
        this.opening--;
      }
    }
    if (this.stopped || res.destroyed) {
      res.end();
      return true;
    }
    // Added only now, so that the build above does not send it the same list twice.
    const s: Stream = { res, blocked: false, pending: null };
    this.streams.add(s);
    // A wall that vanished mid-write is not an error of the server's.
    res.on('error', (err) => this.o.log.debug({ event: 'wall.stream_error', err: err.message }, 'wall stream failed'));
    res.on('close', () => {
      this.streams.delete(s);
      if (this.streams.size === 0) this.stopTimer();
    });
    this.startTimer();
    if (this.payload) this.write(s, this.payload, true);
    return true;
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // Without Redis nothing announces a new film: asking the catalog lets it refresh when due.
      this.o.catalog.current().catch(() => {});
      // Presigned links are renewed at half their validity: a rebuild sends the new ones.
      this.schedule();
    }, TICK_MS);
    this.timer.unref();
    // A named event (not a comment), so the page's watchdog sees a stream that is open but silent.
    this.pinger = setInterval(() => {
      for (const s of this.streams) this.write(s, 'event: ping\ndata: \n\n', false);
    }, this.o.pingSeconds * 1000);
    this.pinger.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pinger) clearInterval(this.pinger);
    this.timer = null;
    this.pinger = null;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.stopTimer();
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }
}

const QR_CACHE_MAX = 16;

/** `GET /wall` (the page), `GET /wall/events` (its film list as server-sent events), `GET /wall/films` (the same once, as JSON). */
export function registerWallRoutes(app: FastifyInstance, deps: WallDeps): WallFeed {
  const feed = new WallFeed(deps);
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

  app.get('/wall', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const asked = typeof q.tiles === 'string' ? Number.parseInt(q.tiles, 10) : Number.NaN;
    const tiles = Number.isFinite(asked) ? Math.min(WALL_MAX_TILES, Math.max(1, asked)) : WALL_TILES;
    const ctx = { ...deps.ctxFor(req, reply), path: tiles === WALL_TILES ? '/wall' : `/wall?tiles=${tiles}` };
    const galleryUrl = `${ctx.baseUrl}/`;
    const body = renderWall(ctx, {
      eventName: deps.eventName ?? ctx.t.siteName,
      galleryUrl,
      qrSrc: await qrFor(galleryUrl),
      tiles,
      silenceMs: deps.pingSeconds * 3000,
      assets: deps.assets,
    });
    return deps.sendHtml(reply, 200, body, 'no-cache');
  });

  app.get('/wall/films', async (_req, reply) => {
    const films = await feed.list(await deps.catalog.current());
    return reply.header('cache-control', 'no-store').send({ films });
  });

  app.get('/wall/events', async (req, reply) => {
    if (feed.size >= MAX_WALL_STREAMS) {
      deps.log.warn({ event: 'wall.full', streams: feed.size }, 'too many walls on this instance');
      return reply
        .code(503)
        .header('retry-after', '30')
        .send({ error: { code: 'too_many_walls', message: 'too many walls' } });
    }
    reply.hijack();
    req.raw.socket.setNoDelay(true);
    if (!(await feed.open(reply.raw, deps.headers))) reply.raw.writeHead(503, { ...deps.headers, 'retry-after': '5' }).end();
  });

  return feed;
}
