import { FILMS_CHANNEL, type FilmNotice, filmNoticeSchema } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import type { Logger } from './log.js';

/**
 * Redis pub/sub both ways: announce new films to galleries, hear moderation. A Redis
 * that is down only delays notices; galleries also list S3 themselves.
 */
export class Notices {
  private pub: Redis | null = null;
  private sub: Redis | null = null;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly onNotice: (n: FilmNotice) => void,
    /** Called each time the subscriber is (re)connected: notices sent meanwhile are lost. */
    private readonly onReady: () => void = () => {},
  ) {}

  async start(): Promise<void> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5000 };
    this.pub = new Redis(this.url, options);
    this.sub = new Redis(this.url, { ...options, maxRetriesPerRequest: null });
    for (const [name, client] of [
      ['publisher', this.pub],
      ['subscriber', this.sub],
    ] as const) {
      client.on('error', (err: Error) => this.log.debug({ event: 'redis.error', client: name, err: err.message }, 'redis error'));
    }
    this.sub.on('ready', () => this.onReady());
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== FILMS_CHANNEL) return;
      let parsed: ReturnType<typeof filmNoticeSchema.safeParse>;
      try {
        parsed = filmNoticeSchema.safeParse(JSON.parse(message));
      } catch {
        this.log.warn({ event: 'redis.bad_notice' }, 'redis bad notice');
        return;
      }
      if (!parsed.success) {
        this.log.warn({ event: 'redis.bad_notice' }, 'redis bad notice');
        return;
      }
      this.onNotice(parsed.data);
    });
    // Connecting may take a while when Redis is away; ioredis keeps trying in the background.
    this.pub.connect().catch((err: Error) => this.log.warn({ event: 'redis.connect_failed', err: err.message }, 'redis connect failed'));
    this.sub.connect().catch((err: Error) => this.log.warn({ event: 'redis.connect_failed', err: err.message }, 'redis connect failed'));
    this.sub
      .subscribe(FILMS_CHANNEL)
      .catch((err: Error) => this.log.warn({ event: 'redis.subscribe_failed', err: err.message }, 'redis subscribe failed'));
  }

  async publish(notice: FilmNotice): Promise<void> {
    if (!this.pub) return;
    const body = JSON.stringify(filmNoticeSchema.parse(notice));
    await Promise.race([
      this.pub.publish(FILMS_CHANNEL, body),
      new Promise((_, reject) => setTimeout(() => reject(new Error('redis publish timed out')), 5000).unref()),
    ]);
  }

  /** One round trip to Redis under a deadline (the control room's reachability check). */
  async ping(timeoutMs: number): Promise<void> {
    const pub = this.pub;
    if (!pub) throw new Error('redis is not started');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pub.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.pub?.disconnect();
    this.sub?.disconnect();
    this.pub = null;
    this.sub = null;
  }
}
