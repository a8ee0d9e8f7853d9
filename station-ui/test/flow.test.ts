import { describe, expect, it } from 'vitest';
import {
  chooseMusic,
  claimDone,
  type FlowContext,
  type FlowState,
  finished,
  idleExpired,
  idleTimeout,
  initialFlow,
  press,
  selectMusic,
  submitTitle,
} from '../src/shared/model/flow.js';

const ctx = (over: Partial<FlowContext> = {}): FlowContext => ({
  frameCount: 3,
  maxFrames: 300,
  titleEnabled: false,
  tracks: [],
  ...over,
});
const at = (screen: FlowState['screen'], over: Partial<FlowState> = {}): FlowState => ({ ...initialFlow, screen, ...over });

describe('press', () => {
  it('capture always captures and undo always undoes (the station already did it): other screens return to make', () => {
    for (const screen of ['attract', 'play', 'consent', 'title'] as const) {
      expect(press(at(screen), 'capture', ctx()), screen).toEqual({ state: at('make'), commands: [{ kind: 'capture' }] });
      expect(press(at(screen), 'undo', ctx()), screen).toEqual({ state: at('make'), commands: [{ kind: 'undo' }] });
    }
    expect(press(at('make'), 'capture', ctx())).toEqual({ state: at('make'), commands: [{ kind: 'capture' }] });
    expect(press(at('make'), 'undo', ctx())).toEqual({ state: at('make'), commands: [{ kind: 'undo' }] });
  });

  it('attract: play and finish wake it up, and lead on when there is a film', () => {
    expect(press(at('attract'), 'play', ctx({ frameCount: 0 })).state.screen).toBe('make');
    expect(press(at('attract'), 'finish', ctx({ frameCount: 0 })).state.screen).toBe('make');
    expect(press(at('attract'), 'play', ctx()).state.screen).toBe('play');
    expect(press(at('attract'), 'finish', ctx()).state.screen).toBe('consent');
  });

  it('make: play and finish', () => {
    expect(press(at('make'), 'play', ctx()).state.screen).toBe('play');
    expect(press(at('make'), 'finish', ctx()).state.screen).toBe('consent');
  });

  it('make with no frames: undo, play and finish do nothing', () => {
    for (const action of ['undo', 'play', 'finish'] as const) {
      expect(press(at('make'), action, ctx({ frameCount: 0 }))).toEqual({ state: at('make'), commands: [] });
    }
  });

  it('a full film: no capture feedback (the station refuses it)', () => {
    expect(press(at('make'), 'capture', ctx({ frameCount: 300 })).commands).toEqual([]);
  });

  it('play: play stops it, finish goes on to consent', () => {
    expect(press(at('play'), 'play', ctx()).state.screen).toBe('make');
    expect(press(at('play'), 'finish', ctx()).state.screen).toBe('consent');
  });

  it('consent: finish = website too, play = big screen only', () => {
    expect(press(at('consent'), 'finish', ctx()).commands).toEqual([{ kind: 'finish', publish: 'public' }]);
    expect(press(at('consent'), 'play', ctx()).commands).toEqual([{ kind: 'finish', publish: 'private' }]);
    expect(press(at('consent'), 'finish', ctx()).state.finishing).toBe(true);
  });

  it('consent with titles on: asks for a title first, then finishes with it', () => {
    const step = press(at('consent'), 'play', ctx({ titleEnabled: true }));
    expect(step).toEqual({ state: at('title', { publish: 'private' }), commands: [] });
    const done = submitTitle(step.state, '  My cat  ');
    expect(done.commands).toEqual([{ kind: 'finish', publish: 'private', title: 'My cat' }]);
    expect(submitTitle(step.state, '   ').commands).toEqual([{ kind: 'finish', publish: 'private' }]);
    expect(press(step.state, 'finish', ctx()).commands).toEqual([{ kind: 'confirmTitle' }]);
    expect(press(step.state, 'play', ctx()).state).toEqual(at('consent'));
  });

  it('presses while finishing wait', () => {
    expect(press(at('consent', { finishing: true }), 'finish', ctx()).commands).toEqual([]);
  });

  it('finish result: claim on success, stay on failure', () => {
    expect(finished(at('consent', { finishing: true, publish: 'public' }), true)).toEqual(at('claim'));
    expect(finished(at('consent', { finishing: true }), false)).toEqual(at('consent'));
  });

  it('claim: no press leaves it or asks for anything; only its time or the next child gesture ends it', () => {
    for (const action of ['capture', 'undo', 'play', 'finish'] as const) {
      expect(press(at('claim'), action, ctx()), action).toEqual({ state: at('claim'), commands: [] });
      expect(press(at('claim', { idlePrompt: true }), action, ctx()), action).toEqual({ state: at('claim'), commands: [] });
    }
    expect(claimDone(at('claim')).screen).toBe('attract');
    expect(claimDone(at('make')).screen).toBe('make');
  });

  it('idle: asks "still there?" only while a film is in progress; a press answers it and acts as usual', () => {
    expect(idleTimeout(at('make'), 4).idlePrompt).toBe(true);
    expect(idleTimeout(at('make'), 0)).toEqual(at('attract'));
    expect(idleTimeout(at('attract'), 4)).toEqual(at('attract'));
    expect(idleTimeout(at('claim'), 4)).toEqual(at('claim'));
    const asking = idleTimeout(at('play'), 4);
    expect(press(asking, 'play', ctx())).toEqual({ state: at('make'), commands: [] });
    expect(idleExpired(asking)).toEqual(initialFlow);
  });
});

describe('the music screen', () => {
  const tracks = ['sunny', 'owls', 'hills'];
  it('follows the consent choice only when the station has tracks', () => {
    expect(press(at('consent'), 'finish', ctx({ tracks })).state).toMatchObject({ screen: 'music', publish: 'public', music: 0 });
    expect(press(at('consent'), 'finish', ctx()).commands).toEqual([{ kind: 'finish', publish: 'public' }]);
  });
  it('green steps through the tiles and round past "no music"; blue finishes with the one shown', () => {
    let s = press(at('consent'), 'play', ctx({ tracks })).state;
    expect(s).toMatchObject({ screen: 'music', publish: 'private' });
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      s = press(s, 'play', ctx({ tracks })).state;
      seen.push(s.music);
    }
    expect(seen).toEqual([1, 2, 3, 0, 1]);
    expect(press(s, 'finish', ctx({ tracks })).commands).toEqual([{ kind: 'finish', publish: 'private', soundtrack: 'owls' }]);
    // The last tile is "no music".
    expect(press({ ...s, music: 3 }, 'finish', ctx({ tracks })).commands).toEqual([{ kind: 'finish', publish: 'private' }]);
  });
  it('capture and undo still capture and undo, back on the make screen without a choice', () => {
    const s = at('music', { publish: 'public', music: 2 });
    expect(press(s, 'capture', ctx({ tracks }))).toEqual({ state: at('make', { music: 2 }), commands: [{ kind: 'capture' }] });
    expect(press(s, 'undo', ctx({ tracks })).state.screen).toBe('make');
  });
  it('a touch selects a tile, and taking one carries it through the title to the finish', () => {
    const s = at('music', { publish: 'public' });
    expect(selectMusic(s, 2, ctx({ tracks })).music).toBe(2);
    expect(selectMusic(s, 4, ctx({ tracks })).music).toBe(0);
    expect(selectMusic(at('make'), 1, ctx({ tracks })).screen).toBe('make');
    const titled = chooseMusic(s, 1, ctx({ tracks, titleEnabled: true }));
    expect(titled.state).toMatchObject({ screen: 'title', soundtrack: 'owls' });
    expect(submitTitle(titled.state, ' Boats ').commands).toEqual([
      { kind: 'finish', publish: 'public', title: 'Boats', soundtrack: 'owls' },
    ]);
    expect(chooseMusic({ ...s, finishing: true }, 1, ctx({ tracks })).commands).toEqual([]);
    // After the film is finished the next one starts without a choice.
    expect(finished(titled.state, true).soundtrack).toBeNull();
  });
});
