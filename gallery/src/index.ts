import type { S3Client } from '@aws-sdk/client-s3';
import { probeHealth, SystemdNotifier } from '@stop-motion/kit';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { type AdminSessions, createAdminSessions } from './admin.js';
import { loadAssets } from './assets.js';
import { Catalog, noticeHash } from './catalog.js';
import { type GalleryConfig, loadConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { GalleryMetrics } from './metrics.js';
import { createModeration } from './moderation.js';
import { createPageCaches } from './pagecache.js';
import { createFilmBucket, createS3ClientFromConfig } from './s3.js';
import { buildServer } from './server.js';
import { type CacheStore, createMemoryStore, createRedisStore } from './store.js';
import { createMediaUrls } from './urls.js';

export { Catalog, type CatalogView } from './catalog.js';
export { ConfigError, type GalleryConfig, loadConfig } from './config.js';
export { createLogger } from './log.js';
export { ownerKeyMatches } from './moderation.js';
export { contentDisposition, downloadFileName } from './s3.js';

export interface GalleryOptions {
  /** Parsed configuration; defaults to the process environment. */
  config?: GalleryConfig;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** An S3 client of the caller's (tests count its requests). */
  s3Client?: S3Client;
  /** The clock of the catalog, presigner and rate limits (tests move it forward). */
  now?: () => number;
  /** Listen on this host/port instead of the configured ones. */
  host?: string;
  port?: number;
  /** Routes of the caller's own, registered after the gallery's (the benchmark's baseline). */
  extraRoutes?: FastifyPluginAsync;
}

export interface Gallery {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly catalog: Catalog;
  readonly store: CacheStore;
  /** Rendered pages and API answers this instance holds. */
  pageCacheEntries(): number;
  close(): Promise<void>;
}

/** How long a closing gallery waits for busy connections before it cuts them. */
const CLOSE_GRACE_MS = 5000;

/** Config → adapters (S3, cache) → core (catalog, moderation) → HTTP server; closed in reverse. */
export async function startGallery(opts: GalleryOptions = {}): Promise<Gallery> {
  const config = opts.config ?? loadConfig(opts.env ?? process.env);
  const log = opts.logger ?? createLogger({ level: config.LOG_LEVEL });
  const now = opts.now ?? Date.now;
  const s3 = opts.s3Client ?? createS3ClientFromConfig(config);
  const metrics = new GalleryMetrics();
  const bucket = metrics.wrapBucket(createFilmBucket(s3, config.S3_BUCKET, config.S3_TIMEOUT_SECONDS * 1000));
  const namespace = `stop-motion:gallery:${config.S3_BUCKET}`;
  const store = config.REDIS_URL
    ? createRedisStore({ url: config.REDIS_URL, namespace, log: log.child({ module: 'cache' }) })
    : createMemoryStore();
  const catalog = new Catalog({
    bucket,
    store,
    log: log.child({ module: 'catalog' }),
    refreshSeconds: config.REFRESH_SECONDS,
    updatesChannel: `${namespace}:updated`,
    now,
  });
  const media = createMediaUrls({ bucket, publicBaseUrl: config.S3_PUBLIC_BASE_URL, presignSeconds: config.PRESIGN_SECONDS, now });
  const moderation = createModeration({
    bucket,
    store,
    log: log.child({ module: 'moderation' }),
    onChange: (meta, notice) => {
      catalog.applyLocal(meta);
      catalog.noteChange(noticeHash(notice));
    },
    onRemoved: (id, removedAt, notice) => {
      catalog.applyRemoved(id, removedAt);
      catalog.noteChange(noticeHash(notice));
    },
    now,
  });
  const sessions: AdminSessions | undefined = config.GALLERY_ADMIN_TOKEN
    ? createAdminSessions({
        token: config.GALLERY_ADMIN_TOKEN,
        ttlSeconds: config.GALLERY_ADMIN_SESSION_SECONDS,
        redisUrl: config.REDIS_URL,
        namespace,
        log: log.child({ module: 'sessions' }),
        now,
      })
    : undefined;
  const pageCaches = createPageCaches();
  metrics.watchCaches(pageCaches);
  let app: FastifyInstance | undefined;
  try {
    // A moment for Redis, so the first refresh is the shared one; then start without it.
    await store.ready(2000);
    await catalog.start();
    app = await buildServer({
      config,
      log,
      catalog,
      bucket,
      store,
      media,
      moderation,
      assets: loadAssets(),
      mediaOrigins: await media.origins(),
      now,
      ...(sessions ? { sessions } : {}),
      pageCaches,
      ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
      metrics,
    });
    const host = opts.host ?? config.GALLERY_HOST;
    await app.listen({ host, port: opts.port ?? config.port });
  } catch (err) {
    await app?.close().catch(() => {});
    await catalog.stop();
    await sessions?.stop();
    await store.stop();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = (opts.host ?? config.GALLERY_HOST) === '0.0.0.0' ? '127.0.0.1' : (opts.host ?? config.GALLERY_HOST);
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  log.info({ event: 'service.listening', url, cache: store.kind, bucket: config.S3_BUCKET }, 'listening');
  const server = app;
  // Warm the list in the background so the first visitor does not wait for S3.
  catalog.current().catch(() => {});
  // WATCHDOG only while the server answers its own /healthz (no S3 call in it): a wedged server is restarted.
  const notifier = new SystemdNotifier({ log: log.child({ module: 'systemd' }), check: () => probeHealth(url, 5000) });
  await notifier.ready();
  return {
    url,
    app: server,
    catalog,
    store,
    pageCacheEntries: () => pageCaches.pages.size + pageCaches.api.size,
    async close() {
      await notifier.stop();
      // A connection still busy after the grace (a client that never reads its answer) must
      // not hold the shutdown: it is cut, with a line saying so.
      const force = setTimeout(() => {
        log.warn({ event: 'server.close_forced', afterMs: CLOSE_GRACE_MS }, 'connections still open at shutdown were cut');
        server.server.closeAllConnections();
      }, CLOSE_GRACE_MS);
      try {
        await server.close();
      } finally {
        clearTimeout(force);
      }
      await catalog.stop();
      await sessions?.stop();
      await store.stop();
      if (!opts.s3Client) s3.destroy();
    },
  };
}
