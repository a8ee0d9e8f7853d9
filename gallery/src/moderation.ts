import { createHash } from 'node:crypto';
import { FILMS_CHANNEL, type FilmMeta, type FilmNotice, movieKeys, type Tombstone } from '@stop-motion/protocol';
import { parseMeta } from './catalog.js';
import type { Logger } from './log.js';
import type { FilmBucket } from './s3.js';
import { secretEquals } from './secret.js';
import type { CacheStore } from './store.js';

export const OWNER_KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** sha256 hex of the key's UTF-8 text, compared in constant time. */
export function ownerKeyMatches(key: string, ownerKeyHash: string | undefined): boolean {
  if (!ownerKeyHash || !OWNER_KEY_PATTERN.test(key)) return false;
  return secretEquals(createHash('sha256').update(key, 'utf8').digest(), Buffer.from(ownerKeyHash, 'hex'));
}

export type ModerationResult = { ok: true; meta: FilmMeta } | { ok: false; reason: 'not_found' | 'forbidden' | 'removed' };

/** S3 did not answer: nothing was decided, the caller may try again. */
export class ModerationUnavailable extends Error {
  readonly statusCode = 503;
  readonly code = 'unavailable';
  constructor(id: string, cause: unknown) {
    super(`film ${id}: the bucket did not answer`, { cause });
  }
}

/** S3 was reachable for the tombstone but not for all of the deletion: the owner may simply try again. */
export class RemovalIncomplete extends Error {
  readonly statusCode = 503;
  readonly code = 'removal_incomplete';
  constructor(id: string, cause: unknown) {
    super(`film ${id} is hidden everywhere but not all of its objects could be deleted yet`, { cause });
  }
}

/**
 * Admin hiding rewrites `meta.json` (`hidden: true`, reversible). An owner's
 * removal is not a flag: it writes the `REMOVED` tombstone first (from then on no
 * gallery shows the film and the processor never writes it again), announces it,
 * deletes every other object of the film, `meta.json` last so that a removal cut
 * short can be finished with the same key, and it cannot be undone.
 */
export function createModeration(opts: {
  bucket: FilmBucket;
  store: CacheStore;
  log: Logger;
  onChange: (meta: FilmMeta, notice: string) => void;
  onRemoved: (id: string, removedAt: string, notice: string) => void;
  now?: () => number;
}) {
  const { bucket, store, log } = opts;
  const now = opts.now ?? Date.now;

  /** An S3 step whose failure is a 503 with a logged reason, never a 500 with a stack. */
  async function step<T>(id: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      log.warn({ event: 'moderation.unavailable', id, step: what, err: (err as Error).message }, 'bucket did not answer');
      throw new ModerationUnavailable(id, err);
    }
  }

  const readMeta = (id: string): Promise<FilmMeta | null> =>
    step(id, 'read meta.json', async () => {
      const got = await bucket.getText(movieKeys(id).meta);
      return got ? parseMeta(id, got.text).meta : null;
    });

  const isRemoved = (id: string) => step(id, 'read REMOVED', async () => (await bucket.getText(movieKeys(id).removed)) !== null);

  const noticeOf = (type: FilmNotice['type'], id: string) =>
    JSON.stringify({ type, id, at: new Date(now()).toISOString() } satisfies FilmNotice);

  async function publish(id: string, message: string): Promise<void> {
    try {
      await store.publish(FILMS_CHANNEL, message);
    } catch (err) {
      // Other instances still see it at their next refresh.
      log.warn({ event: 'notice.publish_failed', id, err: (err as Error).message }, 'could not announce the change');
    }
  }

  /** Noted here before it is published, so that this instance's own copy of the broadcast does not ask for a second refresh. */
  async function announce(type: FilmNotice['type'], id: string, noted: (message: string) => void): Promise<void> {
    const message = noticeOf(type, id);
    noted(message);
    await publish(id, message);
  }

  return {
    async setHidden(id: string, hidden: boolean): Promise<ModerationResult> {
      if (await isRemoved(id)) return { ok: false, reason: 'removed' };
      const meta = await readMeta(id);
      if (!meta) return { ok: false, reason: 'not_found' };
      const next: FilmMeta = { ...meta, hidden };
      await step(id, 'write meta.json', () => bucket.putJson(movieKeys(id).meta, `${JSON.stringify(next, null, 2)}\n`));
      // The owner removed it while we wrote: our meta.json must not outlive the removal.
      if (await isRemoved(id)) {
        await step(id, 'delete meta.json', () => bucket.deleteKey(movieKeys(id).meta));
        return { ok: false, reason: 'removed' };
      }
      await announce(hidden ? 'film.hidden' : 'film.unhidden', id, (m) => opts.onChange(next, m));
      log.info({ event: hidden ? 'film.hidden' : 'film.unhidden', id }, hidden ? 'film hidden' : 'film shown again');
      return { ok: true, meta: next };
    },

    /** "Remove my film": only with the key whose hash the station wrote into the manifest. */
    async ownerRemove(id: string, key: string): Promise<ModerationResult> {
      const meta = await readMeta(id);
      if (!meta) return { ok: false, reason: 'not_found' };
      if (!ownerKeyMatches(key, meta.ownerKeyHash)) {
        log.warn({ event: 'owner.wrong_key', id }, 'owner removal with a wrong key');
        return { ok: false, reason: 'forbidden' };
      }
      const keys = movieKeys(id);
      const tombstone: Tombstone = { id, removedAt: new Date(now()).toISOString(), by: 'owner' };
      // A second attempt after a removal cut short keeps the first date.
      if (!(await isRemoved(id))) await step(id, 'write REMOVED', () => bucket.putJson(keys.removed, `${JSON.stringify(tombstone)}\n`));
      // Gone here at once; announced once the objects are deleted (or could not be), so
      // the refresh it triggers elsewhere lists the bucket as it now stays.
      const message = noticeOf('film.removed', id);
      opts.onRemoved(id, tombstone.removedAt, message);
      try {
        const listed = await bucket.listKeys(keys.prefix);
        const media = new Set([...listed, keys.video, keys.poster, keys.preview]);
        media.delete(keys.removed);
        media.delete(keys.meta);
        await Promise.all([...media].map((k) => bucket.deleteKey(k)));
        await bucket.deleteKey(keys.meta);
      } catch (err) {
        log.error({ event: 'film.remove_incomplete', id, err: (err as Error).message }, 'film hidden but not fully deleted');
        throw new RemovalIncomplete(id, err);
      } finally {
        await publish(id, message);
      }
      log.info({ event: 'film.removed', id }, 'film removed by its owner: objects deleted, tombstone written');
      return { ok: true, meta };
    },
  };
}
export type Moderation = ReturnType<typeof createModeration>;
