import { cp, mkdir, readdir, readFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import { startRsyncDaemon, tempDir, waitFor } from '@stop-motion/e2e';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestStation, type TestStation } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function station(env: Record<string, string>, opts = {}): Promise<TestStation> {
  const s = await startTestStation(
    { DELIVERY_RETRY_MIN_MS: '100', DELIVERY_RETRY_MAX_MS: '400', DELIVERY_TIMEOUT_SECONDS: '10', ...env },
    opts,
  );
  cleanups.push(() => s.remove());
  return s;
}

async function makeMovie(s: TestStation, frames = 3, publish: 'public' | 'private' = 'public'): Promise<string> {
  for (let i = 0; i < frames; i++) await s.station.capture();
  return (await s.station.finish({ publish })).movieId;
}

/** The package arrived whole: same files, same bytes, DONE present, no rsync leftovers. */
async function expectDelivered(s: TestStation, targetDir: string, id: string): Promise<void> {
  const sentDir = path.join(s.dataDir, 'sent', id);
  const arrived = (await readdir(path.join(targetDir, id))).sort();
  expect(arrived).toEqual((await readdir(sentDir)).sort());
  expect(arrived).toContain('DONE');
  for (const f of arrived) expect(await readFile(path.join(targetDir, id, f))).toEqual(await readFile(path.join(sentDir, f)));
}

const outbox = (s: TestStation) => readdir(path.join(s.dataDir, 'outbox'));
const sent = (s: TestStation) => readdir(path.join(s.dataDir, 'sent'));

describe('delivery', () => {
  it('delivers to a local path: files, then DONE; the package moves to sent/', async () => {
    const target = await tempDir('inbox');
    cleanups.push(() => target.remove());
    const s = await station({ DELIVERY_TARGET: target.path });
    const id = await makeMovie(s);
    await waitFor('delivered', async () => (await sent(s)).includes(id));
    expect(await outbox(s)).toEqual([]);
    await expectDelivered(s, target.path, id);
    const status = s.station.snapshot().delivery;
    expect(status).toMatchObject({ target: target.path, pending: 0, sent: 1, lastError: null });
    expect(status.lastSuccessAt).not.toBeNull();
  });

  it('delivers to the rsync daemon with the right secret', async () => {
    const daemon = await startRsyncDaemon({ secret: 'right-secret' });
    cleanups.push(() => daemon.close());
    const s = await station({ DELIVERY_TARGET: daemon.url, RSYNC_PASSWORD: 'right-secret' });
    const id = await makeMovie(s, 2, 'private');
    await waitFor('delivered', async () => (await sent(s)).includes(id));
    await expectDelivered(s, daemon.modulePath, id);
    expect(await readdir(daemon.modulePath)).toEqual([id]);
  });

  it('keeps the package with a wrong secret and reports why, without the secret', async () => {
    const daemon = await startRsyncDaemon({ secret: 'right-secret' });
    cleanups.push(() => daemon.close());
    const s = await station({ DELIVERY_TARGET: daemon.url, RSYNC_PASSWORD: 'wrong-secret' });
    const id = await makeMovie(s, 1);
    await waitFor('an error', () => s.station.snapshot().delivery.lastError ?? undefined);
    const status = s.station.snapshot().delivery;
    expect(status.lastError).toMatch(/auth/i);
    expect(status.lastError).not.toContain('wrong-secret');
    expect(status.pending).toBe(1);
    expect(status.nextAttemptAt).not.toBeNull();
    expect(await outbox(s)).toEqual([id]);
    expect(await readdir(daemon.modulePath)).toEqual([]);
  });

  it('retries while the processor is away and delivers exactly once when it is back', async () => {
    const daemon = await startRsyncDaemon({ secret: 's3cret' });
    cleanups.push(() => daemon.close());
    await daemon.stop();
    const s = await station({ DELIVERY_TARGET: daemon.url, RSYNC_PASSWORD: 's3cret' });
    let delivered = 0;
    s.delivery.on('delivered', () => delivered++);
    const id = await makeMovie(s, 2);
    const errors = new Set<string>();
    s.delivery.on('status', (st) => st.lastErrorAt && errors.add(st.lastErrorAt));
    await waitFor('several failed attempts', () => errors.size >= 2, { timeoutMs: 10_000 });
    expect(await outbox(s)).toEqual([id]);
    await daemon.start();
    await waitFor('delivered', async () => (await sent(s)).includes(id), { timeoutMs: 15_000 });
    await expectDelivered(s, daemon.modulePath, id);
    await waitFor('nothing left to deliver', () => {
      const st = s.station.snapshot().delivery;
      return st.pending === 0 && st.lastError === null && st.nextAttemptAt === null;
    });
    // A stray retry of the first package would reach the daemon before the next one is through.
    const next = await makeMovie(s, 1);
    // 'delivered' is emitted just after the move to sent/.
    await waitFor('the next package delivered', async () => delivered >= 2 && (await sent(s)).includes(next), { timeoutMs: 15_000 });
    expect(delivered).toBe(2);
    // Each delivery is two rsync sessions at the daemon: the files, then DONE.
    expect(await daemon.receiveSessions()).toBe(4);
    expect((await readdir(daemon.modulePath)).sort()).toEqual([id, next].sort());
  });

  it('a local target that appears later gets the package once', async () => {
    const base = await tempDir('late');
    cleanups.push(() => base.remove());
    const target = path.join(base.path, 'inbox');
    const s = await station({ DELIVERY_TARGET: target });
    const id = await makeMovie(s, 1);
    await waitFor('an error', () => s.station.snapshot().delivery.lastError ?? undefined);
    await mkdir(target);
    await waitFor('delivered', async () => (await sent(s)).includes(id), { timeoutMs: 10_000 });
    await expectDelivered(s, target, id);
  });

  it('a package delivered twice is still one package', async () => {
    const target = await tempDir('inbox');
    cleanups.push(() => target.remove());
    const s = await station({ DELIVERY_TARGET: target.path });
    const id = await makeMovie(s, 2);
    await waitFor('delivered', async () => (await sent(s)).includes(id));
    // As after a crash between the DONE transfer and the move to sent/.
    await cp(path.join(s.dataDir, 'sent', id), path.join(s.dataDir, 'outbox', id), { recursive: true });
    s.delivery.kick();
    await waitFor('delivered again', async () => (await outbox(s)).length === 0);
    expect(await readdir(target.path)).toEqual([id]);
    await expectDelivered(s, target.path, id);
  });

  it('undelivered packages survive a restart and go out afterwards', async () => {
    const dir = await tempDir('restart');
    cleanups.push(() => dir.remove());
    const target = await tempDir('inbox');
    cleanups.push(() => target.remove());
    const first = await startTestStation({ STATION_DATA_DIR: dir.path });
    await first.station.capture();
    const id = (await first.station.finish({ publish: 'public' })).movieId;
    await first.close();
    const s = await station({ STATION_DATA_DIR: dir.path, DELIVERY_TARGET: target.path });
    await waitFor('delivered', async () => (await sent(s)).includes(id));
    await expectDelivered(s, target.path, id);
  });

  it('sent/ is pruned by age and, when the disk is low, oldest first; the outbox never', async () => {
    const target = await tempDir('inbox');
    cleanups.push(() => target.remove());
    let free = 10 * 1024 ** 3;
    const s = await station(
      { DELIVERY_TARGET: target.path, SENT_RETENTION_DAYS: '7', DISK_MIN_FREE_MB: '100', DISK_CLEANUP_FREE_MB: '500' },
      { statfs: async () => ({ freeBytes: free, totalBytes: 20 * 1024 ** 3 }) },
    );
    const a = await makeMovie(s, 1);
    const b = await makeMovie(s, 1);
    const c = await makeMovie(s, 1);
    await waitFor('all delivered', async () => (await sent(s)).length === 3);
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    await utimes(path.join(s.dataDir, 'sent', a), now - 10 * day, now - 10 * day);
    await utimes(path.join(s.dataDir, 'sent', b), now - 2 * day, now - 2 * day);
    expect(await s.delivery.pruneSent()).toBe(1);
    expect((await sent(s)).sort()).toEqual([b, c].sort());
    expect(s.station.snapshot().recent.map((r) => r.id)).not.toContain(a);

    // Now the disk runs low: each removal "frees" space until the policy is met.
    await s.delivery.stop(); // keep a new package in the outbox
    const d = await makeMovie(s, 1);
    free = 300 * 1024 ** 2;
    const removals: string[] = [];
    s.delivery.on('removed', (id) => {
      removals.push(id);
      free += 150 * 1024 ** 2;
    });
    // @ts-expect-error reaching into the running station's disk monitor for the test
    await s.station.parts.disk.check();
    expect(removals).toEqual([b, c]);
    expect(await outbox(s)).toEqual([d]);
    expect(s.station.snapshot().disk.full).toBe(false);
  });
});
