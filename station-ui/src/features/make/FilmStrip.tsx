import type { FrameRef } from '@stop-motion/protocol';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { frameUrl, stripFrames, thumbUrl } from '../../shared/model/station.js';
import { sizes, timing } from '../../shared/theme/theme.js';
import { useUi } from '../../shared/ui/context.js';
import { LoadGate } from '../../shared/ui/load-gate.js';

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

/** Shared by every strip cell: see LoadGate. */
const thumbnails = new LoadGate(2);

/**
 * The station makes thumbnails on first request (a beat after the capture); the full
 * frame is already on disk. The full frame fills the cell at once and gives way to
 * the small thumbnail when that has loaded, so the strip never waits. Thumbnails
 * load through a gate, newest first, and a cell that leaves cancels its load.
 */
function StripImage({ movieId, frame }: { movieId: string; frame: FrameRef }) {
  const [thumbSrc, setThumbSrc] = useState<string | null>(null);
  const [thumbReady, setThumbReady] = useState(false);
  const release = useRef<() => void>(() => undefined);
  const thumb = useRef<HTMLImageElement>(null);
  const full = useRef<HTMLImageElement>(null);
  const url = thumbUrl(movieId, frame);
  useEffect(() => {
    release.current = thumbnails.acquire(() => setThumbSrc(url));
    return () => release.current();
  }, [url]);
  // Removing an <img> does not stop its download, and an image with a load in flight
  // keeps itself and the detached screen around it alive; clearing its source cancels
  // the load. A layout effect's cleanup runs before React empties the refs of the
  // elements it removes (a passive effect's cleanup would find them null). A new url
  // for the same cell replaces the sources, which cancels the old loads by itself.
  useLayoutEffect(
    () => () => {
      for (const img of [thumb.current, full.current]) if (img && !img.complete) img.removeAttribute('src');
    },
    [],
  );
  const done = (ok: boolean) => {
    release.current();
    if (ok) setThumbReady(true);
  };
  return (
    <>
      {!thumbReady && (
        <img ref={full} className="strip-full" src={frameUrl(movieId, frame)} alt="" fetchPriority="high" draggable={false} />
      )}
      {thumbSrc && (
        <img ref={thumb} src={thumbSrc} alt="" decoding="async" draggable={false} onLoad={() => done(true)} onError={() => done(false)} />
      )}
    </>
  );
}
