import { waitFor } from '@stop-motion/e2e';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, startTestStation, type TestStation } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function station(env: Record<string, string> = {}): Promise<TestStation> {
  const s = await startTestStation(env);
  cleanups.push(() => s.remove());
  return s;
}
async function control(url: string): Promise<ControlClient> {
  const c = await ControlClient.connect(url);
  cleanups.push(() => c.close());
  return c;
}
const press = (url: string, action: string) => fetch(`${url}/_sim/button/${action}`, { method: 'POST' });

/** One frame, then a finish through the socket as the UI does it. */
async function finishOne(c: ControlClient, params: Record<string, unknown> = { publish: 'public' }): Promise<string> {
  expect(await c.request('movie.capture')).toMatchObject({ ok: true });
  const reply = await c.request('movie.finish', params);
  if (!reply.ok) throw new Error(reply.error.message);
  return (reply.data as { movieId: string }).movieId;
}

/** Waits for a frame of the film after the finished one; its frame count. */
async function frameOfNextFilm(c: ControlClient, s: TestStation): Promise<number> {
  const added = await waitFor('a capture into the next film', () =>
    c.events('frame.added').find((e) => e.name === 'frame.added' && e.data.movieId === s.store.movieId),
  );
  return added.name === 'frame.added' ? added.data.frameCount : -1;
}

describe('the claim screen holds the buttons', () => {
  it('presses while it shows are announced but never capture; the next child gesture ends it', async () => {
    const s = await station({ CLAIM_SECONDS: '3600', CLAIM_NEXT_GESTURE: 'finishx3' });
    const c = await control(s.url);
    const finished = await finishOne(c);
    const claim = s.station.snapshot().claim;
    expect(claim?.movieId).toBe(finished);
    expect(Date.parse(claim?.endsAt ?? '')).toBeGreaterThan(Date.now() + 3_500_000);

    const pressedBefore = c.events('button.pressed').length;
    for (const action of ['capture', 'undo', 'capture', 'play']) expect((await press(s.url, action)).status).toBe(200);
    await waitFor('the held presses announced', () => c.events('button.pressed').length >= pressedBefore + 4);
    // Two finish presses are not yet the gesture.
    await press(s.url, 'finish');
    await press(s.url, 'finish');
    await waitFor('finish presses announced', () => c.events('button.pressed').length >= pressedBefore + 6);
    expect(s.station.snapshot().claim?.movieId).toBe(finished);
    expect(c.events('claim.ended')).toHaveLength(0);

    await press(s.url, 'finish');
    const ended = await c.waitEvent('claim.ended');
    expect(ended.data).toEqual({ movieId: finished, reason: 'gesture' });
    expect(s.station.snapshot().claim).toBeNull();
    expect(s.store.frameCount).toBe(0);
    expect(c.events('frame.added').filter((e) => e.name === 'frame.added' && e.data.movieId === s.store.movieId)).toHaveLength(0);

    // Now the red button captures into the next film again.
    await press(s.url, 'capture');
    expect(await frameOfNextFilm(c, s)).toBe(1);
  });

  it('ends by itself after CLAIM_SECONDS; without a gesture configured, no press ends it early', async () => {
    const s = await station({ CLAIM_SECONDS: '1' });
    const c = await control(s.url);
    await finishOne(c);
    for (let i = 0; i < 5; i++) await press(s.url, 'finish');
    await waitFor('the presses announced', () => c.events('button.pressed').length >= 5);
    expect(c.events('claim.ended')).toHaveLength(0);
    await waitFor('the claim time to run out', () => s.station.snapshot().claim === null);
    await press(s.url, 'capture');
    await frameOfNextFilm(c, s);
    expect(s.store.frameCount).toBe(1);
  });

  it('an abandoned film (finished by the idle timeout) has no claim screen', async () => {
    const s = await station({ CLAIM_SECONDS: '3600' });
    const c = await control(s.url);
    await finishOne(c, { publish: 'private', abandoned: true });
    expect(s.station.snapshot().claim).toBeNull();
    await press(s.url, 'capture');
    await frameOfNextFilm(c, s);
    expect(s.store.frameCount).toBe(1);
  });

  it('refuses a malformed gesture with a clear message', async () => {
    await expect(startTestStation({ CLAIM_NEXT_GESTURE: 'finish3' })).rejects.toThrow(/CLAIM_NEXT_GESTURE: must be none or/);
  });
});
