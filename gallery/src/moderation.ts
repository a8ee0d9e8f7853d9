import { createHash, timingSafeEqual } from 'node:crypto';
import { FILMS_CHANNEL, type FilmMeta, type FilmNotice, movieKeys } from '@stop-motion/protocol';
import { parseMeta } from './catalog.js';
import type { Logger } from './log.js';
import type { FilmBucket } from './s3.js';
import type { CacheStore } from './store.js';

export const OWNER_KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** sha256 hex of the key's UTF-8 text, compared in constant time. */
export function ownerKeyMatches(key: string, ownerKeyHash: string | undefined): boolean {
  if (!ownerKeyHash || !OWNER_KEY_PATTERN.test(key)) return false;
  const actual = createHash('sha256').update(key, 'utf8').digest();
  const expected = Buffer.from(ownerKeyHash, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

export type ModerationResult = { ok: true; meta: FilmMeta } | { ok: false; reason: 'not_found' | 'forbidden' };

/**
 * Hides and unhides films by rewriting their `meta.json` (the source of truth all
 * instances list), then announces it so every instance drops the film at once.
 */
export function createModeration(opts: {
  bucket: FilmBucket;
  store: CacheStore;
  log: Logger;
  onChange: (meta: FilmMeta, notice: string) => void;
}) {
  const { bucket, store, log } = opts;

  async function readMeta(id: string): Promise<FilmMeta | null> {
    const got = await bucket.getText(movieKeys(id).meta);
    return got ? parseMeta(id, got.text).meta : null;
  }

  async function write(meta: FilmMeta, type: FilmNotice['type']): Promise<void> {
    await bucket.putJson(movieKeys(meta.id).meta, `${JSON.stringify(meta, null, 2)}\n`);
    const notice: FilmNotice = { type, id: meta.id, at: new Date().toISOString() };
    const message = JSON.stringify(notice);
    // Noted here before it is published, so that this instance's own copy of the
    // broadcast does not ask for a second refresh.
    opts.onChange(meta, message);
    try {
      await store.publish(FILMS_CHANNEL, message);
    } catch (err) {
      // Other instances still see it at their next refresh.
      log.warn({ event: 'notice.publish_failed', id: meta.id, err: (err as Error).message }, 'could not announce the change');
    }
  }

  return {
    async setHidden(id: string, hidden: boolean): Promise<ModerationResult> {
      const meta = await readMeta(id);
      if (!meta) return { ok: false, reason: 'not_found' };
      const next: FilmMeta = { ...meta, hidden };
      await write(next, hidden ? 'film.hidden' : 'film.unhidden');
      log.info({ event: hidden ? 'film.hidden' : 'film.unhidden', id }, hidden ? 'film hidden' : 'film shown again');
      return { ok: true, meta: next };
    },

    /** "Remove my film": only with the key whose hash the station wrote into the manifest. */
    async ownerRemove(id: string, key: string): Promise<ModerationResult> {
      const meta = await readMeta(id);
      if (!meta || meta.hidden) return { ok: false, reason: 'not_found' };
      if (!ownerKeyMatches(key, meta.ownerKeyHash)) {
        log.warn({ event: 'owner.wrong_key', id }, 'owner removal with a wrong key');
        return { ok: false, reason: 'forbidden' };
      }
      const next: FilmMeta = { ...meta, hidden: true };
      await write(next, 'film.removed');
      log.info({ event: 'film.removed', id }, 'film removed by its owner');
      return { ok: true, meta: next };
    },
  };
}
export type Moderation = ReturnType<typeof createModeration>;
