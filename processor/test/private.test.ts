import { waitFor } from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus } from './helpers.js';
import { type Rig, startRig } from './rig.js';

// A private film (NOPUBLISH, or publish "private" in the manifest) plays on the big
// screen and never leaves this machine, with S3 and Redis configured and working.
describe('a private film stays private', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig('proc-private');
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('is on the big screen, and nowhere in the bucket, on Redis or in what the status API says of uploads', async () => {
    const manifestPrivate = await rig.prepare({ frames: 6, publish: 'private', title: 'manifest says private' });
    const flagOnly = await rig.prepare({ frames: 6, publish: 'private', layout: 'original' });
    // A public film beside them shows S3 and Redis do work in this run.
    const control = await rig.prepare({ frames: 6, publish: 'public', title: 'public beside them' });
    const privateIds = [manifestPrivate, flagOnly];
    for (const id of [...privateIds, control]) await rig.deliver(id);
    const mpv = await rig.mpv.client();
    try {
      await waitFor(
        'the private films on the big screen and the public one announced',
        async () => {
          const onMpv = (await mpv.playlist()).map((e) => e.filename);
          const job = (id: string) => rig.processor().pipeline.job(id)?.state;
          return (
            privateIds.every((id) => job(id) === 'done' && onMpv.includes(rig.filmFile(id))) &&
            job(control) === 'done' &&
            rig.notices.some((n) => n.type === 'film.added' && n.id === control)
          );
        },
        { timeoutMs: 120_000, intervalMs: 100 },
      );
    } finally {
      mpv.close();
    }
    for (const id of privateIds) expect((await rig.sideEffects(id)).loadfiles, `mpv loaded ${id}`).toBe(1);

    const keys = await rig.bucketKeys();
    expect(keys).toContain(movieKeys(control).video);
    expect(keys.filter((k) => privateIds.some((id) => k.includes(id)))).toEqual([]);
    // Not even a request (a HEAD, a failed PUT) named them.
    expect(rig.counter.requests.filter((r) => privateIds.some((id) => r.key.includes(id)))).toEqual([]);
    expect(rig.notices.filter((n) => privateIds.includes(n.id))).toEqual([]);
    expect(rig.logs.filter((l) => l.event?.toString().startsWith('upload.') && privateIds.includes(l.id as string))).toEqual([]);

    const p = rig.processor();
    const status = await fetchStatus(p.url);
    for (const id of privateIds) expect(status.jobs.find((j) => j.id === id)).toMatchObject({ publish: 'private', upload: null });
    expect(status.uploadsWaiting).toEqual([]);
    const page = await (await fetch(`${p.url}/`)).text();
    for (const out of [JSON.stringify(status), page]) {
      for (const id of privateIds) expect(out).not.toContain(movieKeys(id).video);
      expect(out).not.toContain(rig.s3.bucket);
      expect(out).not.toContain(rig.counter.endpoint);
    }
  }, 180_000);
});
