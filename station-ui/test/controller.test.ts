import type { ClientMethod, StationEvent } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { Controller } from '../src/app/controller.js';
import { RequestError } from '../src/shared/connection/client.js';
import { frame, MOVIE, station } from './fixtures.js';

function setup(settings: Parameters<typeof station>[1] = {}, frames = 2) {
  let now = 1_000_000;
  const calls: Array<{ method: ClientMethod; params: unknown }> = [];
  const replies: Partial<Record<ClientMethod, () => Promise<unknown>>> = {};
  const sounds: string[] = [];
  const client = {
    request: ((method: ClientMethod, params?: unknown) => {
      calls.push({ method, params });
      return replies[method]?.() ?? Promise.resolve({});
    }) as never,
  };
  const c = new Controller({ client, now: () => now, sound: (name, on) => on && sounds.push(name), fetchTracks: async () => [] });
  c.onStatus('open');
  c.onSnapshot(station(frames, settings));
  const pressed = (action: 'capture' | 'undo' | 'play' | 'finish') =>
    c.onEvent({ type: 'event', name: 'button.pressed', data: { action, source: 'gpio' } } as StationEvent);
  return { c, calls, replies, sounds, pressed, advance: (ms: number) => (now += ms) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('Controller', () => {
  it('key and touch presses go to the station as button.press; nothing happens until it announces them', () => {
    const t = setup();
    t.c.press('capture', 'key');
    expect(t.calls).toEqual([{ method: 'button.press', params: { action: 'capture', source: 'key' } }]);
    expect(t.c.state.flash).toBe(0);
    t.pressed('capture');
    expect(t.c.state.flash).toBe(1);
    expect(t.c.state.flow.screen).toBe('make');
    expect(t.calls).toHaveLength(1); // the station captured; the UI does not capture again
  });

  it('undo keeps the leaving frame for its animation, and plays sounds only when sound is on', () => {
    const t = setup({ sound: true });
    t.pressed('undo');
    expect(t.c.state.leaving?.frame).toEqual(frame(1));
    expect(t.sounds).toEqual(['undo']);
    const key = t.c.state.leaving?.key ?? -1;
    t.c.clearLeaving(key);
    expect(t.c.state.leaving).toBeNull();
  });

  it('finish flow: consent by the finish button → movie.finish public → claim with the reply; back to attract after claimSeconds', async () => {
    const t = setup({ claimSeconds: 30 });
    t.replies['movie.finish'] = () =>
      Promise.resolve({ movieId: MOVIE, ownerKey: 'k'.repeat(32), shortCode: 'STVWXY', claimUrl: 'https://g/m/x#k=y' });
    t.pressed('play');
    t.pressed('play'); // back to make
    t.pressed('finish');
    expect(t.c.state.flow.screen).toBe('consent');
    t.pressed('finish');
    expect(t.calls.at(-1)).toEqual({ method: 'movie.finish', params: { publish: 'public' } });
    await flush();
    expect(t.c.state.flow.screen).toBe('claim');
    expect(t.c.state.claim).toMatchObject({ publish: 'public', shortCode: 'STVWXY' });
    t.advance(29_000);
    t.c.tick();
    expect(t.c.state.flow.screen).toBe('claim');
    t.advance(1_000);
    t.c.tick();
    expect(t.c.state.flow.screen).toBe('attract');
    expect(t.c.state.claim).toBeNull();
  });

  it('claim: presses change nothing and ask for nothing; claim.ended for this film ends it early', async () => {
    const t = setup({ claimSeconds: 60 });
    t.replies['movie.finish'] = () =>
      Promise.resolve({ movieId: MOVIE, ownerKey: 'k'.repeat(32), shortCode: 'STVWXY', claimUrl: 'https://g/m/x#k=y' });
    t.pressed('finish');
    t.pressed('finish');
    await flush();
    expect(t.c.state.flow.screen).toBe('claim');
    const callsBefore = t.calls.length;
    for (const action of ['capture', 'undo', 'play', 'finish'] as const) {
      t.advance(5_000);
      t.pressed(action);
      t.c.tick();
    }
    expect(t.c.state.flow.screen).toBe('claim');
    expect(t.c.state.flash).toBe(0);
    expect(t.calls).toHaveLength(callsBefore);
    t.c.onEvent({ type: 'event', name: 'claim.ended', data: { movieId: MOVIE, reason: 'gesture' } });
    expect(t.c.state.flow.screen).toBe('attract');
    expect(t.c.state.claim).toBeNull();
  });

  it('a reloaded UI shows the claim screen the station still holds, for the rest of its time', () => {
    const t = setup({ claimSeconds: 60 }, 0);
    const base = station(0, { claimSeconds: 60 });
    const endsAt = new Date(Date.now() + 20_000).toISOString();
    t.c.onSnapshot({ ...base, claim: { movieId: MOVIE, endsAt } });
    expect(t.c.state.flow.screen).toBe('claim');
    expect(t.c.state.claim).toMatchObject({ movieId: MOVIE, shortCode: MOVIE.slice(-6), claimUrl: null });
    t.advance(15_000);
    t.c.tick();
    expect(t.c.state.flow.screen).toBe('claim');
    t.advance(6_000);
    t.c.tick();
    expect(t.c.state.flow.screen).toBe('attract');
  });

  it('titles: the typed draft goes with the finish button', async () => {
    const t = setup({ titleEnabled: true });
    t.replies['movie.finish'] = () => Promise.resolve({ movieId: MOVIE, ownerKey: 'k'.repeat(32), shortCode: 'STVWXY', claimUrl: null });
    t.pressed('finish');
    t.pressed('play');
    expect(t.c.state.flow.screen).toBe('title');
    t.c.setTitleDraft('Dragon');
    t.pressed('finish');
    expect(t.calls.at(-1)).toEqual({ method: 'movie.finish', params: { publish: 'private', title: 'Dragon' } });
    await flush();
    expect(t.c.state.claim?.publish).toBe('private');
  });

  it('an arcade-only station (no touch, no pointer) skips the title step even when titles are on', async () => {
    let now = 1_000_000;
    const calls: Array<{ method: ClientMethod; params: unknown }> = [];
    const client = {
      request: ((method: ClientMethod, params?: unknown) => {
        calls.push({ method, params });
        return Promise.resolve({ movieId: MOVIE, ownerKey: 'k'.repeat(32), shortCode: 'STVWXY', claimUrl: null });
      }) as never,
    };
    const c = new Controller({ client, now: () => now++, sound: () => undefined, canType: () => false, fetchTracks: async () => [] });
    c.onStatus('open');
    c.onSnapshot(station(2, { titleEnabled: true }));
    const pressed = (action: 'finish' | 'play') =>
      c.onEvent({ type: 'event', name: 'button.pressed', data: { action, source: 'gpio' } } as StationEvent);
    pressed('finish');
    pressed('play');
    expect(calls.at(-1)).toEqual({ method: 'movie.finish', params: { publish: 'private' } });
    await flush();
    expect(c.state.flow.screen).toBe('claim');
  });

  it('a failed finish returns to make and counts as refused', async () => {
    const t = setup();
    t.replies['movie.finish'] = () => Promise.reject(new RequestError('busy', 'busy'));
    t.pressed('finish');
    t.pressed('finish');
    await flush();
    expect(t.c.state.flow).toMatchObject({ screen: 'make', finishing: false });
    expect(t.c.state.refused).toBe(1);
  });

  it('idle: "still there?" after idleMinutes, then clears the film when configured', () => {
    const t = setup({ idleMinutes: 2, idleAction: 'clear' });
    t.pressed('capture');
    t.advance(119_000);
    t.c.tick();
    expect(t.c.state.flow.idlePrompt).toBe(false);
    t.advance(1_000);
    t.c.tick();
    expect(t.c.state.flow.idlePrompt).toBe(true);
    t.advance(20_000);
    t.c.tick();
    expect(t.c.state.flow).toMatchObject({ screen: 'attract', idlePrompt: false });
    expect(t.calls.at(-1)?.method).toBe('movie.clear');
  });

  it('idle by default: an abandoned film is finished for the big screen only, without a claim screen', async () => {
    const t = setup({ idleMinutes: 1, idleAction: 'finish' });
    t.pressed('capture');
    t.advance(60_000);
    t.c.tick();
    expect(t.c.state.flow.idlePrompt).toBe(true);
    t.advance(20_000);
    t.c.tick();
    expect(t.calls.at(-1)).toEqual({ method: 'movie.finish', params: { publish: 'private', abandoned: true } });
    await flush();
    expect(t.c.state.flow).toMatchObject({ screen: 'attract', idlePrompt: false });
    expect(t.c.state.claim).toBeNull();
  });

  it('idle with no frames asks nothing and finishes nothing', () => {
    const t = setup({ idleMinutes: 1, idleAction: 'finish' }, 0);
    t.pressed('play');
    t.advance(60_000);
    t.c.tick();
    t.advance(20_000);
    t.c.tick();
    expect(t.calls.some((c) => c.method === 'movie.finish' || c.method === 'movie.clear')).toBe(false);
  });

  it('idle with keep: back to attract, the film stays; a touch on the question only dismisses it', () => {
    const t = setup({ idleMinutes: 1, idleAction: 'keep' });
    t.pressed('play');
    t.advance(60_000);
    t.c.tick();
    expect(t.c.state.flow.idlePrompt).toBe(true);
    t.c.dismissIdle();
    expect(t.c.state.flow).toMatchObject({ screen: 'play', idlePrompt: false });
    t.advance(60_000);
    t.c.tick();
    t.advance(20_000);
    t.c.tick();
    expect(t.c.state.flow.screen).toBe('attract');
    expect(t.calls.some((c) => c.method === 'movie.clear')).toBe(false);
  });

  it('events update the station state; a new snapshot without frames leaves the film screens', () => {
    const t = setup();
    t.c.onEvent({ type: 'event', name: 'frame.added', data: { movieId: MOVIE, frame: frame(2), frameCount: 3 } });
    expect(t.c.state.station?.movie.frames).toHaveLength(3);
    t.pressed('play');
    t.c.onSnapshot(station(0));
    expect(t.c.state.flow.screen).toBe('make');
  });

  it('settings changes show at once and roll back when the station refuses them', async () => {
    const t = setup();
    t.c.setSettings({ sound: true, onionOpacity: 0.8 });
    expect(t.c.state.station?.settings).toMatchObject({ sound: true, onionOpacity: 0.8 });
    expect(t.calls.at(-1)).toEqual({ method: 'settings.set', params: { sound: true, onionOpacity: 0.8 } });
    t.replies['settings.set'] = () => Promise.reject(new RequestError('bad_request', 'no'));
    t.c.setSettings({ locale: 'ar' });
    expect(t.c.state.station?.settings.locale).toBe('ar');
    await flush();
    expect(t.c.state.station?.settings.locale).toBe('en');
  });
});
