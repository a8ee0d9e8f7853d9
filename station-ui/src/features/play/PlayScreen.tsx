import { useEffect, useRef } from 'react';
import { frameUrl } from '../../shared/model/station.js';
import { FramePlayer } from '../../shared/playback/player.js';
import { ActionButton } from '../../shared/ui/ActionButton.js';
import { useUi } from '../../shared/ui/context.js';

declare global {
  interface Window {
    /** Paint times of playback, recorded only when the page runs with ?trace=1 (benchmarks). */
    __smsPaints?: Array<[number, number]>;
  }
}

/** The film so far, looping at the movie's fps. */
export function PlayScreen() {
  const { state, t } = useUi();
  const canvas = useRef<HTMLCanvasElement>(null);
  const movie = state.station?.movie;
  // Primitives, so a new state object with the same film does not restart playback.
  const urls = movie ? movie.frames.map((f) => frameUrl(movie.id, f)).join('\n') : '';
  const fps = movie?.fps ?? 10;
  useEffect(() => {
    const c = canvas.current;
    if (!c || !urls) return;
    const trace = new URLSearchParams(window.location.search).has('trace');
    if (trace) window.__smsPaints = [];
    const player = new FramePlayer(c, urls.split('\n'), fps, trace ? { onPaint: (i, at) => window.__smsPaints?.push([i, at]) } : {});
    player.start();
    return () => player.stop();
  }, [urls, fps]);
  return (
    <main className="screen play" data-screen="play" aria-label={t('play.film')}>
      <canvas ref={canvas} className="play-canvas" data-testid="play-canvas" />
      <div className="play-controls">
        <ActionButton action="play" label={t('play.back')} />
        <ActionButton action="finish" />
      </div>
    </main>
  );
}
