import type { FrameRef, MovieState, StationEvent, StationState } from '@stop-motion/protocol';

/**
 * The station as the UI knows it: the last snapshot with every event since applied.
 * Pure: the same snapshot + events always give the same state.
 */
export function applyEvent(state: StationState, event: StationEvent): StationState {
  switch (event.name) {
    case 'frame.added': {
      const { movieId, frame } = event.data;
      if (movieId !== state.movie.id) return state;
      return { ...state, movie: withFrame(state.movie, frame) };
    }
    case 'frame.removed': {
      const { movieId, file } = event.data;
      if (movieId !== state.movie.id) return state;
      const frames = state.movie.frames.filter((f) => f.file !== file);
      if (frames.length === state.movie.frames.length) return state;
      return { ...state, movie: { ...state.movie, frames } };
    }
    case 'movie.started':
      return { ...state, movie: event.data.movie };
    case 'movie.finished':
      return { ...state, recent: event.data.recent };
    case 'movie.cleared':
      return state;
    case 'movie.limit':
      return state;
    case 'capture.refused':
      return state;
    case 'camera.status':
      return { ...state, camera: event.data };
    case 'delivery.status':
      return { ...state, delivery: event.data };
    case 'disk.status':
      return { ...state, disk: event.data };
    case 'buttons.status':
      return { ...state, buttons: event.data };
    case 'settings.changed':
      return { ...state, settings: event.data };
    case 'button.pressed':
      return state;
    case 'claim.ended':
      return { ...state, claim: null };
    case 'station.closed':
      return { ...state, closed: event.data.closed };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** Adds or replaces a frame, keeping the list ordered by file name (frame numbers are zero-padded). */
export function withFrame(movie: MovieState, frame: FrameRef): MovieState {
  const frames = movie.frames.filter((f) => f.file !== frame.file);
  frames.push(frame);
  frames.sort((a, b) => a.file.length - b.file.length || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { ...movie, frames };
}

export function frameUrl(movieId: string, frame: FrameRef): string {
  return `frames/${encodeURIComponent(movieId)}/${encodeURIComponent(frame.file)}?v=${encodeURIComponent(frame.hash)}`;
}

export function thumbUrl(movieId: string, frame: FrameRef): string {
  return `thumbs/${encodeURIComponent(movieId)}/${encodeURIComponent(frame.file)}?v=${encodeURIComponent(frame.hash)}`;
}

export function posterUrl(movieId: string, file: string): string {
  return `frames/${encodeURIComponent(movieId)}/${encodeURIComponent(file)}`;
}

/** The last `count` frames, oldest first: what the film strip shows. */
export function stripFrames(frames: readonly FrameRef[], count: number): FrameRef[] {
  return frames.slice(Math.max(0, frames.length - count));
}

/** How full the film is, 0..1, for the budget strip. */
export function budgetFill(frameCount: number, maxFrames: number): number {
  if (maxFrames <= 0) return 1;
  return Math.min(1, Math.max(0, frameCount / maxFrames));
}
