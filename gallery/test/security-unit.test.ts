import { describe, expect, it } from 'vitest';
import { adminMessage, createAdminGuard, createAdminSessions, secretEquals } from '../src/admin.js';
import { buildView, parseMeta } from '../src/catalog.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { decodeCursor, pageQuerySchema } from '../src/cursor.js';
import { createLogger } from '../src/log.js';
import { fastifyTrustProxy, parseTrustProxy } from '../src/proxy.js';
import { RateLimiter } from '../src/ratelimit.js';
import { contentDisposition, downloadFileName } from '../src/s3.js';
import { sampleMeta } from './fixtures.js';

describe('TRUST_PROXY', () => {
  it.each([
    ['', false],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
    ['loopback,::1,fd00::/8', ['loopback', '::1', 'fd00::/8']],
  ])('%j is trusted as %j', (raw, value) => {
    expect(parseTrustProxy(raw)).toEqual({ ok: true, value });
  });

  it.each(['true', 'yes', '11', 'banana', '10.0.0.0/33', '::1/129', '10.0.0.1/8/2', '1.2.3', ','])('%j is refused', (raw) => {
    expect(parseTrustProxy(raw).ok).toBe(false);
  });

  it('counts hops from the socket inwards', () => {
    const trust = fastifyTrustProxy(1) as (address: string, hop: number) => boolean;
    expect(trust('127.0.0.1', 0)).toBe(true);
    expect(trust('203.0.113.7', 1)).toBe(false);
    expect(fastifyTrustProxy(false)).toBe(false);
  });

  it('refuses true at start, naming the variable', () => {
    expect(() => loadConfig({ S3_BUCKET: 'films', TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ S3_BUCKET: 'films', TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: trusting every proxy/);
    expect(loadConfig({ S3_BUCKET: 'films' }).TRUST_PROXY).toBe(false);
  });
});

describe('admin', () => {
  it.each([
    ['wrong_token', undefined, 'Wrong token'],
    ['hidden', '01FILM', 'Hidden: 01FILM'],
    ['hidden', '<b>x</b>', 'Hidden'],
    ['Call 555-0100 now', undefined, undefined],
    ['constructor', undefined, undefined],
    ['__proto__', undefined, undefined],
    [['wrong_token'], undefined, undefined],
  ])('message %j (id %j) reads %j', (code, id, text) => {
    expect(adminMessage(code, id)).toBe(text);
  });

  it('compares secrets of any length', () => {
    expect(secretEquals('a-token-of-twenty-chars', 'a-token-of-twenty-chars')).toBe(true);
    expect(secretEquals('a-token-of-twenty-char', 'a-token-of-twenty-chars')).toBe(false);
    expect(secretEquals('', 'a-token-of-twenty-chars')).toBe(false);
    // The same length is not enough: the whole secret has to match.
    expect(secretEquals('a-token-of-twenty-chart', 'a-token-of-twenty-chars')).toBe(false);
  });

  it('checks the budget before the token', () => {
    let t = 0;
    const guard = createAdminGuard('the-right-token-123', new RateLimiter(3, 1000, () => t));
    expect(guard.check('c', 'the-right-token-123')).toBe('ok');
    // Right answers cost nothing.
    for (let i = 0; i < 10; i++) expect(guard.check('c', 'the-right-token-123')).toBe('ok');
    expect([1, 2, 3].map(() => guard.check('c', 'wrong'))).toEqual(['denied', 'denied', 'denied']);
    expect(guard.check('c', 'the-right-token-123')).toBe('limited');
    expect(guard.check('other', 'the-right-token-123')).toBe('ok');
    t += 1000;
    expect(guard.check('c', 'the-right-token-123')).toBe('ok');
  });

  it('keeps in-process sessions random, expiring and revocable, bound to the token', async () => {
    let t = 0;
    const log = createLogger({ level: 'silent' });
    const sessions = createAdminSessions({ token: 'the-right-token-123', ttlSeconds: 60, namespace: 'n', log, now: () => t });
    const a = await sessions.create();
    const b = await sessions.create();
    expect(a).not.toBe(b);
    expect(await sessions.valid(a)).toBe(true);
    await sessions.revoke(a);
    expect(await sessions.valid(a)).toBe(false);
    expect(await sessions.valid(b)).toBe(true);
    expect(await sessions.valid(undefined)).toBe(false);
    expect(await sessions.valid('x'.repeat(43))).toBe(false);
    t += 60_000;
    expect(await sessions.valid(b)).toBe(false);
  });
});

describe('cursors', () => {
  it.each([
    ['zzzzzzzzzzzz.AAAA', null],
    ['zzzzzzzzzz.AAAA', null],
    ['zzzzzzzzz.AAAA', { t: 36 ** 9 - 1, id: 'AAAA' }],
    ['lz5k0f3k.01ABC', { t: Number.parseInt('lz5k0f3k', 36), id: '01ABC' }],
    ['..%2F', null],
    ['1.', null],
    [`1.${'A'.repeat(65)}`, null],
  ])('%j decodes to %j', (c, out) => {
    expect(decodeCursor(c)).toEqual(out);
  });

  it('route schema pattern agrees with the decoder', () => {
    const re = new RegExp(pageQuerySchema.properties.cursor.pattern);
    for (const c of ['', 'zzzzzzzzz.AAAA', 'lz5k0f3k.01ABC']) expect(re.test(c), c).toBe(true);
    for (const c of ['zzzzzzzzzz.AAAA', '..%2F', 'a.b.c']) expect(re.test(c), c).toBe(false);
  });
});

describe('titles and tombstones in the catalog', () => {
  it('clean titles when meta.json is read', () => {
    const meta = sampleMeta('01FILM', { title: 'Movie \u202Egnp.exe' });
    expect(parseMeta('01FILM', JSON.stringify(meta)).meta?.title).toBe('Movie gnp.exe');
    expect(parseMeta('01FILM', JSON.stringify({ ...meta, title: '\u2066\u2069' })).meta?.title).toBeNull();
  });

  it('names downloads without direction controls', () => {
    expect(downloadFileName('01FILM', 'Movie \u202Egnp.exe')).toBe('Movie gnp.exe.mp4');
    expect(contentDisposition('a\u202Eb.mp4')).not.toMatch(/%E2%80%AE|\u202E/);
  });

  it('never shows a film that has a tombstone, whatever meta.json says', () => {
    const kept = sampleMeta('01KEPT');
    const gone = sampleMeta('01GONE');
    const view = buildView({
      version: 'v',
      entries: { [kept.id]: { etag: '1', meta: kept }, [gone.id]: { etag: '2', meta: gone } },
      removed: { [gone.id]: { etag: '3', removedAt: '2026-12-01T10:00:00.000Z' } },
    });
    expect(view.films.map((f) => f.id)).toEqual([kept.id]);
    expect(view.byId.has(gone.id)).toBe(false);
    expect(view.removed.get(gone.id)).toBe('2026-12-01T10:00:00.000Z');
    // Snapshots written before tombstones existed still load.
    expect(buildView({ version: 'v', entries: { [kept.id]: { etag: '1', meta: kept } } }).removed.size).toBe(0);
  });
});

describe('owner removal cut short', () => {
  it('hides the film at once, answers 503, and the same key finishes the job', async () => {
    const { createHash } = await import('node:crypto');
    const { createModeration, RemovalIncomplete } = await import('../src/moderation.js');
    const { createMemoryStore } = await import('../src/store.js');
    const key = 'k'.repeat(32);
    const id = '01OWNED';
    const meta = sampleMeta(id, { ownerKeyHash: createHash('sha256').update(key).digest('hex') });
    const objects = new Map<string, string>([
      [`movies/${id}/meta.json`, JSON.stringify(meta)],
      [`movies/${id}/movie.mp4`, 'mp4'],
      [`movies/${id}/poster.jpg`, 'jpg'],
    ]);
    let failVideo = true;
    const bucket = {
      bucket: 'b',
      listMeta: async () => ({ items: [], pages: 0 }),
      getText: async (k: string) => (objects.has(k) ? { text: objects.get(k) as string, etag: '1' } : null),
      putJson: async (k: string, body: string) => {
        objects.set(k, body);
      },
      listKeys: async (prefix: string) => [...objects.keys()].filter((k) => k.startsWith(prefix)),
      deleteKey: async (k: string) => {
        if (failVideo && k.endsWith('movie.mp4')) throw new Error('S3 went away');
        objects.delete(k);
      },
      presignGet: async () => 'http://x',
    };
    const store = createMemoryStore();
    const notices: string[] = [];
    await store.subscribe(['stop-motion:films'], (_c, m) => notices.push(m));
    const removed: string[] = [];
    const moderation = createModeration({
      bucket,
      store,
      log: createLogger({ level: 'silent' }),
      onChange: () => {},
      onRemoved: (gone) => removed.push(gone),
    });
    await expect(moderation.ownerRemove(id, key)).rejects.toBeInstanceOf(RemovalIncomplete);
    expect(removed).toEqual([id]);
    expect(notices.map((n) => JSON.parse(n).type)).toEqual(['film.removed']);
    expect(objects.has(`movies/${id}/REMOVED`)).toBe(true);
    // meta.json stays until the rest is gone: it is what lets the key finish.
    expect(objects.has(`movies/${id}/meta.json`)).toBe(true);
    expect(await moderation.setHidden(id, false)).toEqual({ ok: false, reason: 'removed' });
    failVideo = false;
    expect((await moderation.ownerRemove(id, key)).ok).toBe(true);
    expect([...objects.keys()]).toEqual([`movies/${id}/REMOVED`]);
    expect(await moderation.ownerRemove(id, key)).toEqual({ ok: false, reason: 'not_found' });
  });
});
