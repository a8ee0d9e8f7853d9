import type { ServerResponse } from 'node:http';
import { type FilmMeta, sanitizeTitle } from '@stop-motion/protocol';
import type { Catalog, CatalogView } from './catalog.js';
import type { Logger } from './log.js';
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

export interface WallFeedOptions {
  log: Logger;
  catalog: Catalog;
  media: MediaUrls;
  /** How many of the newest public films the wall rotates through (WALL_FILMS). */
  films: number;
  /** WALL_PING_SECONDS: a ping this often; the page drops a stream silent for three times as long. */
  pingSeconds: number;
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

  constructor(private readonly deps: WallFeedOptions) {
    this.unsubscribe = deps.catalog.onView(() => this.schedule());
  }

  get size(): number {
    return this.streams.size;
  }

  /** The newest public films: the view holds neither hidden nor removed ones (private ones never reach S3). */
  async list(view: CatalogView): Promise<WallFilm[]> {
    return Promise.all(view.films.slice(0, this.deps.films).map((f) => this.film(f)));
  }

  private async film(f: FilmMeta): Promise<WallFilm> {
    const [videoUrl, posterUrl] = await Promise.all([this.deps.media.video(f), this.deps.media.poster(f)]);
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
      .catch((err: unknown) => this.deps.log.warn({ event: 'wall.build_failed', err: (err as Error).message }, 'wall list not built'))
      .finally(() => {
        this.building = null;
        if (this.dirty) {
          this.dirty = false;
          this.schedule();
        }
      });
  }

  private async build(): Promise<void> {
    const view = this.deps.catalog.peek();
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
        await this.deps.catalog.current().catch(() => {});
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
    res.on('error', (err) => this.deps.log.debug({ event: 'wall.stream_error', err: err.message }, 'wall stream failed'));
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
      this.deps.catalog.current().catch(() => {});
      // Presigned links are renewed at half their validity: a rebuild sends the new ones.
      this.schedule();
    }, TICK_MS);
    this.timer.unref();
    // A named event (not a comment), so the page's watchdog sees a stream that is open but silent.
    this.pinger = setInterval(() => {
      for (const s of this.streams) this.write(s, 'event: ping\ndata: \n\n', false);
    }, this.deps.pingSeconds * 1000);
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
