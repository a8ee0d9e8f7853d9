import type { FrameRef } from '@stop-motion/protocol';
import { useEffect, useState } from 'react';
import { frameUrl, stripFrames, thumbUrl } from '../../shared/model/station.js';
import { sizes, timing } from '../../shared/theme/theme.js';
import { useUi } from '../../shared/ui/context.js';

/** The latest frames, oldest at the inline start: a right-to-left layout flows the other way. */
export function FilmStrip() {
  const { state, actions, t } = useUi();
  const movie = state.station?.movie;
  const leaving = state.leaving;
  useEffect(() => {
    if (!leaving) return;
    const timer = setTimeout(() => actions.clearLeaving(leaving.key), timing.undoLeaveMs);
    return () => clearTimeout(timer);
  }, [leaving, actions]);
  if (!movie) return null;
  const frames = stripFrames(movie.frames, sizes.stripCount);
  const ghost = leaving && leaving.movieId === movie.id && !movie.frames.some((f) => f.file === leaving.frame.file) ? leaving : null;
  return (
    <ol className="strip" data-testid="strip" aria-label={t('make.strip')} data-count={movie.frames.length}>
      {frames.map((frame, i) => (
        <li key={`${frame.file}:${frame.hash}`} className={`strip-cell${i === frames.length - 1 ? ' newest' : ''}`} data-file={frame.file}>
          <StripImage movieId={movie.id} frame={frame} />
        </li>
      ))}
      {ghost && (
        <li key={`leaving-${ghost.key}`} className="strip-cell leaving" data-testid="leaving" aria-hidden="true">
          <img src={thumbUrl(ghost.movieId, ghost.frame)} alt="" draggable={false} />
        </li>
      )}
    </ol>
  );
}

/**
 * The station makes thumbnails on first request (a beat after the capture); the full
 * frame is already on disk. The full frame fills the cell at once and gives way to
 * the small thumbnail when that has loaded, so the strip never waits.
 */
function StripImage({ movieId, frame }: { movieId: string; frame: FrameRef }) {
  const [thumbReady, setThumbReady] = useState(false);
  return (
    <>
      {!thumbReady && <img className="strip-full" src={frameUrl(movieId, frame)} alt="" decoding="async" draggable={false} />}
      <img src={thumbUrl(movieId, frame)} alt="" decoding="async" draggable={false} onLoad={() => setThumbReady(true)} />
    </>
  );
}
