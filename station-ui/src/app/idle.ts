// The once-a-second decision about time: the claim screen's end, the idle question, its expiry. Pure.
import type { StationState } from '@stop-motion/protocol';
import type { AppState } from '../shared/model/app-state.js';
import { claimDone, idleExpired, idleTimeout } from '../shared/model/flow.js';
import { timing } from '../shared/theme/theme.js';

export interface IdleClock {
  now: number;
  /** When the idle question was put. */
  promptAt: number;
  /** The last press, touch or answer. */
  lastActivity: number;
}

/** What a tick changes; `abandon` is the request an unanswered idle question sends for the film. */
export interface IdleStep {
  patch: Partial<Pick<AppState, 'flow' | 'claim'>>;
  /** A new start of the idle time (activity counted from now). */
  activity?: number;
  promptAt?: number;
  abandon?: 'finish' | 'clear';
}

export function idleTick(state: Pick<AppState, 'flow' | 'claim'>, station: StationState, clock: IdleClock): IdleStep | null {
  const { now } = clock;
  const { flow, claim } = state;
  if (flow.screen === 'claim' && claim && now - claim.at >= station.settings.claimSeconds * 1000) {
    return { patch: { flow: claimDone(flow), claim: null }, activity: now };
  }
  if (flow.idlePrompt) {
    if (now - clock.promptAt < timing.idlePromptSeconds * 1000) return null;
    const abandoned = station.movie.frames.length > 0 ? station.settings.idleAction : 'keep';
    // An abandoned film is neither lost nor inherited by the next child: it goes to the big screen only.
    return { patch: { flow: idleExpired(flow) }, activity: now, ...(abandoned === 'keep' ? {} : { abandon: abandoned }) };
  }
  if (now - clock.lastActivity < station.settings.idleMinutes * 60_000) return null;
  const next = idleTimeout(flow, station.movie.frames.length);
  if (next === flow) return { patch: {}, activity: now };
  return { patch: { flow: next }, activity: now, ...(next.idlePrompt ? { promptAt: now } : {}) };
}
