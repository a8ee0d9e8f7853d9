import { randomBytes } from 'node:crypto';
import type { CacheStore } from '../store.js';

export const LOCK_TTL_MS = 30_000;

export type LockOutcome<T> = { locked: false } | { locked: true; value: T };

/**
 * Runs `work` while holding the shared refresh lock, or not at all when another
 * instance holds it. The lock is extended every third of its TTL while `work` runs
 * (a long refresh keeps it) and released however `work` ends (a failed one does
 * not hold it for a TTL). A store that cannot take the lock throws, as its methods do.
 */
export async function withRefreshLock<T>(
  store: Pick<CacheStore, 'tryLock' | 'extendLock' | 'unlock'>,
  work: () => Promise<T>,
  { ttlMs = LOCK_TTL_MS }: { ttlMs?: number } = {},
): Promise<LockOutcome<T>> {
  // Only the holder of this token may extend or release the lock.
  const token = randomBytes(16).toString('hex');
  if (!(await store.tryLock(token, ttlMs))) return { locked: false };
  const keepAlive = setInterval(() => {
    store.extendLock(token, ttlMs).catch(() => {});
  }, ttlMs / 3);
  try {
    return { locked: true, value: await work() };
  } finally {
    clearInterval(keepAlive);
    await store.unlock(token).catch(() => {});
  }
}
