import { waitFor } from '@stop-motion/e2e';
import { FILMS_CHANNEL } from '@stop-motion/protocol';
import { describe, expect, it, vi } from 'vitest';
import { Catalog } from '../src/catalog.js';
import { createLogger } from '../src/log.js';
import type { FilmBucket, MetaListing } from '../src/s3.js';
import { createMemoryStore } from '../src/store.js';
import { sampleMeta } from './fixtures.js';

/** A bucket in memory: ETags change with the content, and it can be made to fail. */
function fakeBucket() {
  const objects = new Map<string, { text: string; etag: string }>();
  let n = 0;
  const calls = { list: 0, get: 0 };
  const b = {
    calls,
    down: false,
    put(id: string, text: string) {
      objects.set(`movies/${id}/meta.json`, { text, etag: `"e${++n}"` });
    },
    delete(id: string) {
      objects.delete(`movies/${id}/meta.json`);
    },
    bucket: {
      bucket: 'fake',
      async listMeta() {
        calls.list++;
        if (b.down) throw new Error('S3 is down');
        const items: MetaListing[] = [...objects].map(([key, o]) => ({ id: key.split('/')[1] as string, key, etag: o.etag }));
        return { items, pages: 1 };
      },
      async getText(key: string) {
        calls.get++;
        if (b.down) throw new Error('S3 is down');
        return objects.get(key) ?? null;
      },
      async putJson() {},
      async listKeys() {
        return [];
      },
      async deleteKey() {},
      async presignGet() {
        return 'http://x';
      },
    } satisfies FilmBucket,
  };
  return b;
}

function setup() {
  const fake = fakeBucket();
  const store = createMemoryStore();
  let t = 1_000_000;
  const catalog = new Catalog({
    bucket: fake.bucket,
    store,
    log: createLogger({ level: 'silent' }),
    refreshSeconds: 60,
    updatesChannel: 'test',
    now: () => t,
  });
  return { fake, store, catalog, advance: (ms: number) => (t += ms) };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('catalog', () => {
  it('loads once on a cold start, however many ask at once', async () => {
    const { fake, catalog } = setup();
    fake.put('01A', JSON.stringify(sampleMeta('01A')));
    const views = await Promise.all(Array.from({ length: 20 }, () => catalog.current()));
    expect(views.every((v) => v.films.length === 1)).toBe(true);
    expect(fake.calls).toEqual({ list: 1, get: 1 });
  });

  it('serves the stale list at once and refreshes behind it, fetching only what changed', async () => {
    const { fake, catalog, advance } = setup();
    fake.put('01A', JSON.stringify(sampleMeta('01A')));
    fake.put('01B', JSON.stringify(sampleMeta('01B')));
    const first = await catalog.current();
    fake.put('01C', JSON.stringify(sampleMeta('01C')));
    fake.put('01A', JSON.stringify(sampleMeta('01A', { title: 'changed' })));
    fake.delete('01B');
    advance(59_000);
    expect(await catalog.current()).toBe(first);
    await settle();
    expect(fake.calls.list).toBe(1);
    advance(2000);
    expect(await catalog.current()).toBe(first); // stale, answered without waiting
    await settle();
    const next = await catalog.current();
    expect(next.films.map((f) => f.id).sort()).toEqual(['01A', '01C']);
    expect(next.byId.get('01A')?.title).toBe('changed');
    expect(fake.calls).toEqual({ list: 2, get: 4 });
  });

  it('skips invalid meta.json without fetching it again while it is unchanged', async () => {
    const { fake, catalog, advance } = setup();
    fake.put('01A', JSON.stringify(sampleMeta('01A')));
    fake.put('01BAD', '{"id":"01BAD","title":42}');
    fake.put('01WRONG', JSON.stringify(sampleMeta('01OTHER')));
    expect((await catalog.current()).films.map((f) => f.id)).toEqual(['01A']);
    advance(61_000);
    await catalog.current();
    await settle();
    expect(fake.calls).toEqual({ list: 2, get: 3 });
  });

  it('keeps the last known list while S3 is down, and does not hammer it', async () => {
    const { fake, catalog, advance } = setup();
    fake.put('01A', JSON.stringify(sampleMeta('01A')));
    await catalog.current();
    fake.down = true;
    advance(61_000);
    for (let i = 0; i < 10; i++) {
      expect((await catalog.current()).films).toHaveLength(1);
      advance(1100);
      await settle();
    }
    // One attempt, then one per 5 s of clock: over 10 × 1.1 s, 2 attempts.
    expect(fake.calls.list).toBe(1 + 2);
    fake.down = false;
    advance(5000);
    await catalog.current();
    await settle();
    expect(fake.calls.list).toBe(4);
    expect(catalog.stats.lastRefresh?.films).toBe(1);
  });

  it('answers 503 at once when nothing is known and S3 is down', async () => {
    const { fake, catalog } = setup();
    fake.down = true;
    // With timers frozen, an answer that waited for a retry or a timeout would never come.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      await expect(catalog.current()).rejects.toMatchObject({ statusCode: 503 });
    } finally {
      vi.useRealTimers();
    }
    expect(fake.calls.list).toBe(1);
  });

  it('refreshes at once on a change notice, and the shown change of a moderator immediately', async () => {
    const { fake, catalog } = setup();
    fake.put('01A', JSON.stringify(sampleMeta('01A')));
    await catalog.current();
    fake.put('01B', JSON.stringify(sampleMeta('01B')));
    catalog.noteChange();
    await settle();
    expect((await catalog.current()).films.map((f) => f.id).sort()).toEqual(['01A', '01B']);
    expect(fake.calls).toEqual({ list: 2, get: 2 });
    catalog.applyLocal(sampleMeta('01A', { hidden: true }));
    expect((await catalog.current()).films.map((f) => f.id)).toEqual(['01B']);
  });

  it('a cold request waits for another instance by the catalog clock, then answers 503', async () => {
    const { fake, store, catalog, advance } = setup();
    fake.put('01A', JSON.stringify(sampleMeta('01A')));
    // Another instance holds the refresh lock and never finishes.
    expect(await store.tryLock('another instance', 600_000)).toBe(true);
    const tryLock = vi.spyOn(store, 'tryLock');
    const answer = catalog.current();
    answer.catch(() => {});
    await waitFor('the request to retry the lock', () => tryLock.mock.calls.length >= 2);
    // 20 s of the injected clock end the wait, however little real time has passed.
    advance(20_001);
    await expect(answer).rejects.toMatchObject({ statusCode: 503 });
    expect(fake.calls.list).toBe(0);
  });

  it('logs an invalid film notice with its reason and does not refresh for it', async () => {
    const fake = fakeBucket();
    const store = createMemoryStore();
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'warn', destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
    const catalog = new Catalog({ bucket: fake.bucket, store, log, refreshSeconds: 60, updatesChannel: 'test', now: () => 1_000_000 });
    await catalog.start();
    await catalog.current();
    await store.publish(FILMS_CHANNEL, '{"type":');
    await store.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.exploded', id: '01A' }));
    await settle();
    expect(lines.map((l) => [l.event, l.reason])).toEqual([
      ['notice.invalid', 'not JSON'],
      ['notice.invalid', 'does not match the schema'],
    ]);
    expect(fake.calls.list).toBe(1);
    await catalog.stop();
  });
});
