// A snapshot from the station (every connection) merged into what the UI shows: the screen a reload resumes, and a claim screen the station still holds.
import type { StationState } from '@stop-motion/protocol';
import type { AppState } from '../shared/model/app-state.js';
import type { Screen } from '../shared/model/flow.js';

/**
 * The flow and claim after `station` arrives. Pure: `now` is the controller's clock,
 * `wallNow` the wall clock the station's `endsAt` is on.
 */
export function mergeSnapshot(
  current: Pick<AppState, 'flow' | 'claim' | 'station'>,
  station: StationState,
  resume: Screen | null | undefined,
  clocks: { now: number; wallNow: number },
): Pick<AppState, 'flow' | 'claim'> {
  let flow = current.flow;
  if (resume && current.station === null && station.movie.frames.length > 0 && (resume === 'make' || resume === 'play')) {
    flow = { ...flow, screen: resume };
  }
  // A screen about the film cannot stay when the snapshot has no frames.
  if (station.movie.frames.length === 0 && ['play', 'consent', 'music', 'title'].includes(flow.screen)) {
    flow = { ...flow, screen: 'make', finishing: false, publish: null, soundtrack: null };
  }
  // The station holds the buttons for a claim screen this UI does not show (it reloaded):
  // show it again with the short code, for the rest of its time.
  const held = station.claim;
  let claim = current.claim;
  if (held && claim?.movieId !== held.movieId) {
    const recent = station.recent.find((r) => r.id === held.movieId);
    const endsAt = Date.parse(held.endsAt);
    claim = {
      movieId: held.movieId,
      ownerKey: '',
      shortCode: held.movieId.slice(-6),
      claimUrl: null,
      publish: recent?.publish ?? 'private',
      at: clocks.now - Math.max(0, station.settings.claimSeconds * 1000 - (endsAt - clocks.wallNow)),
    };
    flow = { ...flow, screen: 'claim', finishing: false, publish: null, idlePrompt: false };
  }
  return { flow, claim };
}
