// What finishing a film involves beyond the store: a known soundtrack, the claim link, the ticket, and store errors as protocol errors.
import type { ErrorCode, FinishResult, Locale, Publish } from '@stop-motion/protocol';
import type { TicketRequest } from './printer/printer.js';
import { type FinishOutcome, type MovieStore, StoreError } from './store/movie-store.js';
import type { TrackLibrary } from './tracks.js';

/** A failure with a protocol error code, answered to the client as such. */
export class StationError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a store change; its refusals become protocol errors, anything else passes through. */
export async function storeChange<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof StoreError) throw new StationError(err.code === 'no_frames' ? 'no_frames' : 'internal', err.message);
    throw err;
  }
}

/** Refuses a soundtrack this station does not have, naming the ones it has. */
export async function requireSoundtrack(tracks: TrackLibrary, soundtrack: string | undefined): Promise<void> {
  if (soundtrack === undefined || (await tracks.get(soundtrack))) return;
  const known = (await tracks.list()).map((t) => t.id);
  throw new StationError(
    'bad_request',
    `unknown soundtrack ${JSON.stringify(soundtrack)}: this station has ${known.length === 0 ? 'no tracks' : known.join(', ')} (GET /api/tracks)`,
  );
}

/** The reply to `movie.finish`: the short code, and the claim link when the gallery's address is known. */
export function claimOf(outcome: FinishOutcome, galleryPublicUrl: string | null): FinishResult {
  return {
    movieId: outcome.movieId,
    ownerKey: outcome.ownerKey,
    shortCode: outcome.movieId.slice(-6),
    claimUrl: galleryPublicUrl ? `${galleryPublicUrl}/m/${outcome.movieId}#k=${outcome.ownerKey}` : null,
  };
}

/** The ticket of a finished film; only a public film's ticket carries the claim link. */
export function ticketOf(
  outcome: FinishOutcome,
  claim: FinishResult,
  film: { publish: Publish; locale: Locale; store: Pick<MovieStore, 'locateFrame'> },
): TicketRequest {
  const poster = outcome.manifest.frames[Math.floor(outcome.manifest.frames.length / 2)]?.file;
  return {
    movieId: outcome.movieId,
    publish: film.publish,
    shortCode: claim.shortCode,
    claimUrl: film.publish === 'public' ? claim.claimUrl : null,
    locale: film.locale,
    posterFile: async () => (poster ? film.store.locateFrame(outcome.movieId, poster) : null),
  };
}
