// What the controller asks of the page outside the control socket: the station's tracks over HTTP, and whether this screen can type.
import { apiTracksSchema, type StationTrack } from '@stop-motion/protocol';

const TRACKS_TIMEOUT_MS = 5000;

/** `GET /api/tracks`, validated, with a deadline. */
export async function fetchStationTracks(): Promise<StationTrack[]> {
  const res = await fetch('/api/tracks', { signal: AbortSignal.timeout(TRACKS_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET /api/tracks: ${res.status}`);
  return apiTracksSchema.parse(await res.json()).tracks;
}

/** A touch screen or a mouse can reach the on-screen keys; a station with only arcade buttons cannot. */
export function screenCanType(): boolean {
  return typeof matchMedia !== 'function' || !matchMedia('(any-pointer: none)').matches;
}
