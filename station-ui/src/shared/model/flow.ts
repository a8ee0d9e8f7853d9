import type { ButtonAction, Publish } from '@stop-motion/protocol';
import { consentButtons } from '../theme/theme.js';

/** The screens a child moves through. */
export type Screen = 'attract' | 'make' | 'play' | 'consent' | 'music' | 'title' | 'claim';

export type Command =
  | { kind: 'capture' }
  | { kind: 'undo' }
  | { kind: 'finish'; publish: Publish; title?: string; soundtrack?: string }
  /** Finish with the title typed so far (the UI holds the draft). */
  | { kind: 'confirmTitle' };

export interface FlowState {
  screen: Screen;
  /** The consent choice waiting for a title. */
  publish: Publish | null;
  /** The "still there?" question is on screen. */
  idlePrompt: boolean;
  /** A finish request is in flight; presses wait. */
  finishing: boolean;
  /** The tile selected on the music screen: a track's index, or the track count for "no music". */
  music: number;
  /** The track chosen on the music screen, waiting for a title. */
  soundtrack: string | null;
}

export interface FlowContext {
  frameCount: number;
  maxFrames: number;
  titleEnabled: boolean;
  /** The station's track ids in the picker's order; none: the music screen is skipped. */
  tracks: readonly string[];
}

export interface Step {
  state: FlowState;
  commands: Command[];
}

export const initialFlow: FlowState = { screen: 'attract', publish: null, idlePrompt: false, finishing: false, music: 0, soundtrack: null };

const go = (state: FlowState, screen: Screen, commands: Command[] = [], extra: Partial<FlowState> = {}): Step => ({
  state: { ...state, screen, ...extra },
  commands,
});

/**
 * What a button press means on each screen. Every input source (GPIO, keys, touch,
 * the designer panel) reaches this through the station, which announces each press
 * as a `button.pressed` event and has already done the capture or undo itself; so
 * capture always captures and undo always undoes, on every screen, and `capture` /
 * `undo` commands here only ask for the visible feedback. Play and finish steer the
 * flow; on the consent question they are the two choices. The claim screen ignores
 * every press (the station does not capture while it shows): it ends by time or by
 * the operator's "next child" gesture (`claim.ended`).
 */
export function press(state: FlowState, action: ButtonAction, ctx: FlowContext): Step {
  // A press answers "still there?" and then does what it always does.
  if (state.idlePrompt) state = { ...state, idlePrompt: false };
  if (state.finishing || state.screen === 'claim') return { state, commands: [] };
  const hasFrames = ctx.frameCount > 0;
  const full = ctx.frameCount >= ctx.maxFrames;
  const capture: Command[] = full ? [] : [{ kind: 'capture' }];
  const undo: Command[] = hasFrames ? [{ kind: 'undo' }] : [];
  if (action === 'capture' && state.screen !== 'make') return go(state, 'make', capture, { publish: null, soundtrack: null });
  if (action === 'undo' && state.screen !== 'make') return go(state, 'make', undo, { publish: null, soundtrack: null });
  switch (state.screen) {
    case 'attract':
      if (action === 'play' && hasFrames) return go(state, 'play');
      if (action === 'finish' && hasFrames) return go(state, 'consent');
      return go(state, 'make');
    case 'make':
      switch (action) {
        case 'capture':
          return { state, commands: capture };
        case 'undo':
          return { state, commands: undo };
        case 'play':
          return hasFrames ? go(state, 'play') : { state, commands: [] };
        case 'finish':
          return hasFrames ? go(state, 'consent') : { state, commands: [] };
        default:
          return exhaustive(action);
      }
    case 'play':
      return action === 'finish' ? go(state, 'consent') : go(state, 'make');
    case 'consent':
      if (action === consentButtons.public) return choose(state, 'public', ctx);
      if (action === consentButtons.private) return choose(state, 'private', ctx);
      return { state, commands: [] };
    case 'music':
      // Green steps through the tiles (each plays its preview), blue takes the one shown.
      if (action === 'play') return { state: { ...state, music: (state.music + 1) % (ctx.tracks.length + 1) }, commands: [] };
      if (action === 'finish') return chooseMusic(state, state.music, ctx);
      return { state, commands: [] };
    case 'title':
      if (action === 'finish') return { state, commands: [{ kind: 'confirmTitle' }] };
      if (action === 'play') return go(state, 'consent', [], { publish: null, soundtrack: null });
      return { state, commands: [] };
    default:
      return exhaustive(state.screen);
  }
}

function choose(state: FlowState, publish: Publish, ctx: FlowContext): Step {
  if (ctx.tracks.length > 0) return go(state, 'music', [], { publish, music: 0, soundtrack: null });
  if (ctx.titleEnabled) return go(state, 'title', [], { publish });
  return finishWith({ ...state, soundtrack: null }, publish);
}

/** A touch on a music tile: it becomes the selected one (and plays its preview). */
export function selectMusic(state: FlowState, index: number, ctx: FlowContext): FlowState {
  if (state.screen !== 'music' || state.finishing || index < 0 || index > ctx.tracks.length) return state;
  return { ...state, music: index };
}

/** The tile at `index` is taken: its track (or none) goes with the film. */
export function chooseMusic(state: FlowState, index: number, ctx: FlowContext): Step {
  if (state.screen !== 'music' || state.finishing) return { state, commands: [] };
  const soundtrack = ctx.tracks[index] ?? null;
  const next = { ...state, music: index, soundtrack };
  if (ctx.titleEnabled) return go(next, 'title');
  return finishWith(next, state.publish ?? 'private');
}

function finishWith(state: FlowState, publish: Publish, title?: string): Step {
  const command: Command = { kind: 'finish', publish };
  if (title) command.title = title;
  if (state.soundtrack) command.soundtrack = state.soundtrack;
  return { state: { ...state, publish, finishing: true }, commands: [command] };
}

/** The title was typed (or skipped) on the title screen. */
export function submitTitle(state: FlowState, title: string): Step {
  if (state.screen !== 'title' || state.finishing) return { state, commands: [] };
  const trimmed = title.trim();
  return trimmed ? finishWith(state, state.publish ?? 'private', trimmed) : finishWith(state, state.publish ?? 'private');
}

export function finished(state: FlowState, ok: boolean): FlowState {
  return ok ? { ...state, screen: 'claim', finishing: false, publish: null, soundtrack: null } : { ...state, finishing: false };
}

/** The claim screen timed out, or the "next child" gesture ended it. */
export function claimDone(state: FlowState): FlowState {
  return state.screen === 'claim' ? { ...state, screen: 'attract' } : state;
}

/** Nobody pressed for the idle time: ask "still there?" where a movie is being made. */
export function idleTimeout(state: FlowState, frameCount: number): FlowState {
  if (state.screen === 'attract' || state.screen === 'claim' || state.finishing) return state;
  if (frameCount === 0) return { ...state, screen: 'attract', publish: null, soundtrack: null };
  return { ...state, idlePrompt: true };
}

/** Nobody answered "still there?": back to the invitation (the caller finishes, keeps or clears the movie). */
export function idleExpired(state: FlowState): FlowState {
  return state.idlePrompt ? { ...initialFlow } : state;
}

function exhaustive(value: never): never {
  throw new Error(`unhandled: ${String(value)}`);
}
