import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from './log.js';
import { redisOptions } from './store.js';

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface AdminSessions {
  readonly ttlSeconds: number;
  /** A new random session; its id is the cookie value. Throws when the store is unreachable. */
  create(): Promise<string>;
  /** False for unknown, revoked, expired or unreachable (fails closed). */
  valid(id: string | undefined): Promise<boolean>;
  revoke(id: string | undefined): Promise<void>;
  stop(): Promise<void>;
}

interface SessionRecord {
  exp: number;
  /** Which admin token signed it in: changing the token signs everyone out. */
  fp: string;
}

/**
 * Random per sign-in, kept server-side under a digest of the id (a copy of the
 * store holds no usable cookie), expiring, revoked on sign-out. In Redis when the
 * gallery has one, so every instance knows every session; else in this process.
 */
export function createAdminSessions(opts: {
  token: string;
  ttlSeconds: number;
  redisUrl?: string | undefined;
  namespace: string;
  log: Logger;
  now?: () => number;
}): AdminSessions {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlSeconds * 1000;
  const fp = createHmac('sha256', opts.token).update('gallery-admin-session-v2').digest('hex').slice(0, 32);
  const keyOf = (id: string) => `${opts.namespace}:admin-session:${createHash('sha256').update(id).digest('hex')}`;
  const parse = (raw: string | null | undefined): SessionRecord | null => {
    if (!raw) return null;
    try {
      const r = JSON.parse(raw) as SessionRecord;
      return typeof r.exp === 'number' && typeof r.fp === 'string' ? r : null;
    } catch {
      return null;
    }
  };
  const live = (r: SessionRecord | null) => r !== null && r.exp > now() && r.fp === fp;

  if (!opts.redisUrl) {
    const map = new Map<string, SessionRecord>();
    return {
      ttlSeconds: opts.ttlSeconds,
      async create() {
        const t = now();
        for (const [k, r] of map) if (r.exp <= t) map.delete(k);
        if (map.size >= 1000) map.delete(map.keys().next().value as string);
        const id = randomBytes(32).toString('base64url');
        map.set(keyOf(id), { exp: t + ttlMs, fp });
        return id;
      },
      async valid(id) {
        return id !== undefined && SESSION_ID.test(id) && live(map.get(keyOf(id)) ?? null);
      },
      async revoke(id) {
        if (id && SESSION_ID.test(id)) map.delete(keyOf(id));
      },
      async stop() {
        map.clear();
      },
    };
  }

  const client = new Redis(opts.redisUrl, { ...redisOptions(), connectionName: 'gallery-sessions' });
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) opts.log.warn({ event: 'sessions.unavailable', err: err.message }, 'admin session store unreachable; sign-in refused');
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  client.connect().catch(() => {});
  return {
    ttlSeconds: opts.ttlSeconds,
    async create() {
      const id = randomBytes(32).toString('base64url');
      await client.set(keyOf(id), JSON.stringify({ exp: now() + ttlMs, fp } satisfies SessionRecord), 'PX', ttlMs);
      return id;
    },
    async valid(id) {
      if (id === undefined || !SESSION_ID.test(id)) return false;
      try {
        return live(parse(await client.get(keyOf(id))));
      } catch {
        return false;
      }
    },
    async revoke(id) {
      if (id && SESSION_ID.test(id)) await client.del(keyOf(id));
    },
    async stop() {
      client.disconnect();
    },
  };
}
