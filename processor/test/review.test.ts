import { readFile } from 'node:fs/promises';
import { scrape, waitFor } from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rig, startRig } from './rig.js';

const TOKEN = 'review-token-for-the-test-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

// MODERATION=pre with every peer real (s3rver behind a counting proxy, Redis, mpv):
// public films wait on this machine until an operator decides, across a restart.
describe('pre-moderation: the review queue', () => {
  let rig: Rig;
  const url = () => rig.processor().url;
  const api = (path: string, init: RequestInit = {}) => fetch(`${url()}/api/review${path}`, init);
  const post = (path: string, headers: Record<string, string> = auth) => api(path, { method: 'POST', headers });
  const putsNaming = (id: string) => rig.counter.requests.filter((r) => r.method === 'PUT' && r.key.includes(id));
  const state = (id: string) => rig.processor().pipeline.job(id)?.state;

  beforeAll(async () => {
    rig = await startRig('proc-review', { MODERATION: 'pre', CONTROL_TOKEN: TOKEN, REVIEW_ON_SCREEN: 'false' });
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('holds public films off S3 (and, with REVIEW_ON_SCREEN=false, off the screen) until approved; decisions survive a restart', async () => {
    const approved = await rig.prepare({ frames: 6, publish: 'public', title: 'to approve' });
    const takenDown = await rig.prepare({ frames: 6, publish: 'public', title: 'to take down' });
    const madePrivate = await rig.prepare({ frames: 6, publish: 'public', title: 'to make private' });
    const privateFilm = await rig.prepare({ frames: 6, publish: 'private', title: 'private from the start' });
    const held = [approved, takenDown, madePrivate];
    for (const id of [...held, privateFilm]) await rig.deliver(id);
    await waitFor(
      'three films in review and the private one done',
      () => held.every((id) => state(id) === 'review') && state(privateFilm) === 'done',
      {
        timeoutMs: 120_000,
        intervalMs: 100,
        failIf: () => {
          const past = held.filter((id) => ['uploading', 'done'].includes(state(id) ?? ''));
          return past.length > 0 ? `public films went on without review: ${past.join(', ')}` : undefined;
        },
      },
    );

    // Nothing of theirs was written to the bucket, and they are not on the big screen.
    expect(held.flatMap(putsNaming)).toEqual([]);
    expect((await rig.bucketKeys()).filter((k) => held.some((id) => k.includes(id)))).toEqual([]);
    for (const id of held) expect((await rig.sideEffects(id)).loadfiles, `${id} on mpv`).toBe(0);
    expect((await rig.sideEffects(privateFilm)).loadfiles).toBe(1);

    // The API is behind CONTROL_TOKEN, STATUS_TOKEN or not.
    expect((await api('')).status).toBe(401);
    expect((await api('', { headers: { authorization: 'Bearer wrong-token-of-the-same-len' } })).status).toBe(401);
    expect((await post(`/${approved}/approve`, {})).status).toBe(401);
    expect((await api('?token=leaky-query-token-0123456')).status).toBe(401);
    await waitFor('the refusals logged', () => rig.logs.filter((l) => l.event === 'review.unauthorized').length >= 4);
    const list = (await (await api('', { headers: auth })).json()) as {
      data: { moderation: string; films: Array<{ id: string; title: string }> };
    };
    expect(list.data.moderation).toBe('pre');
    expect(list.data.films.map((f) => f.id).sort()).toEqual([...held].sort());

    // Play: the rendered MP4 itself.
    const film = await api(`/${approved}/film`, { headers: auth });
    expect(film.status).toBe(200);
    expect(film.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await film.arrayBuffer()).equals(await readFile(rig.filmFile(approved)))).toBe(true);
    expect((await api(`/${privateFilm}/film`, { headers: auth })).status).toBe(404);
    const page = await fetch(`${url()}/review`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="review"');

    // A power cut or a restart before any decision: the queue is the job files.
    await rig.restart();
    expect(held.every((id) => state(id) === 'review')).toBe(true);
    const before = await scrape(`${url()}/metrics`);
    expect(before.get('stopmotion_processor_queue_length', { queue: 'review' })).toBe(3);

    // Approve twice at once: one upload.
    const answers = await Promise.all([post(`/${approved}/approve`), post(`/${approved}/approve`)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    await waitFor('the approved film uploaded', () => state(approved) === 'done', { timeoutMs: 60_000, intervalMs: 100 });
    expect((await post(`/${approved}/approve`)).status).toBe(409);

    expect((await post(`/${takenDown}/takedown`)).status).toBe(200);
    expect((await post(`/${madePrivate}/private`)).status).toBe(200);
    await waitFor('the approved and private films on the big screen', async () => {
      const s = await Promise.all([rig.sideEffects(approved), rig.sideEffects(madePrivate)]);
      return s.every((x) => x.loadfiles === 1);
    });

    // Restarted once more: nothing decided comes back, nothing is uploaded again.
    await rig.restart();
    const after = await rig.sideEffects(approved);
    expect(after).toMatchObject({ putsVideo: 1, putsPoster: 1, putsMeta: 1, filmAdded: 1 });
    expect((await rig.bucketKeys()).filter((k) => k.includes(approved)).sort()).toEqual(
      [movieKeys(approved).meta, movieKeys(approved).poster, movieKeys(approved).video].sort(),
    );
    // Nothing of a refused film leaves but its REFUSED marker (which tells the gallery it will not
    // come; sent again after each restart, the same small object).
    expect([...new Set([...putsNaming(takenDown), ...putsNaming(madePrivate)].map((r) => r.key))].sort()).toEqual(
      [movieKeys(madePrivate).refused, movieKeys(takenDown).refused].sort(),
    );
    expect(rig.processor().pipeline.job(takenDown)).toMatchObject({ state: 'done', publish: 'private' });
    expect(rig.processor().pipeline.job(madePrivate)).toMatchObject({ state: 'done', publish: 'private' });
    expect((await rig.sideEffects(takenDown)).loadfiles).toBe(0);
    expect(rig.processor().player.status().playlist).not.toContain(takenDown);
    const left = (await (await api('', { headers: auth })).json()) as { data: { films: unknown[] } };
    expect(left.data.films).toEqual([]);
    // No token, right or wrong, in any log line.
    const logged = JSON.stringify(rig.logs);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('leaky-query-token');
    expect(logged).not.toContain('wrong-token-of-the-same-len');
  }, 240_000);
});
