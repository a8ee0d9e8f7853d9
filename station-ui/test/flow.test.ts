import { describe, expect, it } from 'vitest';
import {
  claimDone,
  type FlowContext,
  type FlowState,
  finished,
  idleExpired,
  idleTimeout,
  initialFlow,
  press,
  submitTitle,
} from '../src/shared/model/flow.js';

const ctx = (over: Partial<FlowContext> = {}): FlowContext => ({
  frameCount: 3,
  maxFrames: 300,
  titleEnabled: false,
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
