import { EventEmitter } from 'node:events';
import { backoffMs } from '@stop-motion/kit';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { Logger } from './log.js';

/** Small record read on every sync: which snapshot is current and when it was made. */
export const catalogStateSchema = z.object({
  version: z.string().min(1),
  /** When the refresh that produced this state finished (ms since epoch). */
  refreshedAt: z.number(),
  /** When that refresh started listing the bucket; a notice received before it is covered. */
  startedAt: z.number(),
  /** Notices the refreshing instance had received when it started (hashes). */
  notices: z.array(z.string()).optional(),
});
export type CatalogState = z.infer<typeof catalogStateSchema>;

/**
 * The cache behind the catalog, shared by all instances (Redis) or private to one
 * process (memory). Every method may throw when the backend is unreachable.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  getState(): Promise<CatalogState | null>;
  getSnapshot(): Promise<string | null>;
  /** Writes the state and, when given, the snapshot text in one transaction. */
  put(state: CatalogState, snapshot: string | null): Promise<void>;
  /** SET NX PX: true when this caller now holds the refresh lock. */
  tryLock(token: string, ttlMs: number): Promise<boolean>;
  /** Extends the lock only while the token still owns it. */
  extendLock(token: string, ttlMs: number): Promise<boolean>;
  /** Deletes the lock only while the token still owns it. */
  unlock(token: string): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /** Messages on the given channels; resubscribes by itself after a reconnect. */
  subscribe(channels: string[], onMessage: (channel: string, message: string) => void): Promise<void>;
  healthy(): boolean;
  /** Resolves once connected, or after `timeoutMs` (the service starts without its cache). */
  ready(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function createMemoryStore(): CacheStore {
  let state: CatalogState | null = null;
  let snapshot: string | null = null;
  let lock: { token: string; until: number } | null = null;
  const bus = new EventEmitter();
  const lockHeld = () => lock !== null && lock.until > Date.now();
  return {
    kind: 'memory',
    async getState() {
      return state;
    },
    async getSnapshot() {
      return snapshot;
    },
    async put(s, snap) {
      state = s;
      if (snap !== null) snapshot = snap;
    },
    async tryLock(token, ttlMs) {
      if (lockHeld()) return false;
      lock = { token, until: Date.now() + ttlMs };
      return true;
    },
    async extendLock(token, ttlMs) {
      if (!lockHeld() || lock?.token !== token) return false;
      lock = { token, until: Date.now() + ttlMs };
      return true;
    },
    async unlock(token) {
      if (lock?.token === token) lock = null;
    },
    async publish(channel, message) {
      bus.emit('message', channel, message);
    },
    async subscribe(channels, onMessage) {
      bus.on('message', (channel: string, message: string) => {
        if (channels.includes(channel)) onMessage(channel, message);
      });
    },
    healthy: () => true,
    async ready() {},
    async stop() {
      bus.removeAllListeners();
    },
  };
}

// Compare-and-delete / compare-and-extend: only the holder's token may touch the lock.
const UNLOCK_LUA = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const EXTEND_LUA = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/**
 * Connection options for a cache that must never make a page wait: no offline
 * queue (a command while disconnected fails at once and the in-process copy is
 * served), short command timeouts, and endless quiet reconnects with a capped backoff.
 */
export function redisOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: 1000,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    lazyConnect: true,
    retryStrategy: (times) => backoffMs(times, { minMs: 100, maxMs: 2000 }),
    reconnectOnError: () => false,
  };
}

export function createRedisStore(opts: { url: string; namespace: string; log: Logger }): CacheStore {
  const { log } = opts;
  const keys = {
    state: `${opts.namespace}:state`,
    snapshot: `${opts.namespace}:snapshot`,
    lock: `${opts.namespace}:refresh-lock`,
  };
  const client = new Redis(opts.url, { ...redisOptions(), connectionName: 'gallery' });
  const sub = new Redis(opts.url, { ...redisOptions(), connectionName: 'gallery-sub', commandTimeout: undefined });
  let up = false;
  // One line when the link goes down and one when it is back, not one per retry.
  const watch = (conn: Redis, name: string) => {
    let reported = false;
    conn.on('error', (err: Error) => {
      if (!reported)
        log.warn({ event: 'redis.down', connection: name, err: err.message }, 'redis unreachable; serving the in-process copy');
      reported = true;
    });
    conn.on('ready', () => {
      if (reported) log.info({ event: 'redis.up', connection: name }, 'redis reachable again');
      reported = false;
    });
  };
  watch(client, 'commands');
  watch(sub, 'subscriber');
  client.on('ready', () => {
    up = true;
  });
  client.on('close', () => {
    up = false;
  });
  client.connect().catch(() => {});
  sub.connect().catch(() => {});
  let subscribed: string[] = [];
  return {
    kind: 'redis',
    async getState() {
      const raw = await client.get(keys.state);
      if (!raw) return null;
      // Not a state of ours (corrupt, or another version's): as if none, so the next refresh writes one.
      try {
        return catalogStateSchema.safeParse(JSON.parse(raw)).data ?? null;
      } catch {
        return null;
      }
    },
    getSnapshot: () => client.get(keys.snapshot),
    async put(state, snapshot) {
      const m = client.multi();
      if (snapshot !== null) m.set(keys.snapshot, snapshot);
      m.set(keys.state, JSON.stringify(state));
      const res = await m.exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
    },
    async tryLock(token, ttlMs) {
      return (await client.set(keys.lock, token, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async extendLock(token, ttlMs) {
      return (await client.eval(EXTEND_LUA, 1, keys.lock, token, String(ttlMs))) === 1;
    },
    async unlock(token) {
      await client.eval(UNLOCK_LUA, 1, keys.lock, token);
    },
    async publish(channel, message) {
      await client.publish(channel, message);
    },
    async subscribe(channels, onMessage) {
      subscribed = [...subscribed, ...channels];
      sub.on('message', (channel: string, message: string) => {
        if (subscribed.includes(channel)) onMessage(channel, message);
      });
      // ioredis re-subscribes by itself after a reconnect; the first SUBSCRIBE may
      // have to wait for the connection, so it is retried on `ready`.
      const doSubscribe = () => {
        sub.subscribe(...channels).catch(() => {});
      };
      sub.once('ready', doSubscribe);
      if (sub.status === 'ready') doSubscribe();
    },
    healthy: () => up,
    async ready(timeoutMs) {
      if (up) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          client.off('ready', done);
          resolve();
        }
        client.once('ready', done);
      });
    },
    async stop() {
      client.disconnect();
      sub.disconnect();
    },
  };
}
