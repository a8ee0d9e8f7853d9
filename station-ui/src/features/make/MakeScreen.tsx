import { frameUrl } from '../../shared/model/station.js';
import { DiffIcon } from '../../shared/theme/icons.js';
import { ActionButton } from '../../shared/ui/ActionButton.js';
import { CameraAsleep } from '../../shared/ui/CameraAsleep.js';
import { useUi } from '../../shared/ui/context.js';
import { useDecodedSrc } from '../../shared/ui/decoded.js';
import { Budget } from './Budget.js';
import { FilmStrip } from './FilmStrip.js';

/**
 * Making the film: the live view (drawn by the app underneath this screen), the onion
 * skin of the last frame over it, the strip, the budget and the four buttons.
 */
export function MakeScreen() {
  const { state, actions, t } = useUi();
  const station = state.station;
  const last = station?.movie.frames.at(-1);
  const onion = useDecodedSrc(station && last ? frameUrl(station.movie.id, last) : null);
  if (!station) return null;
  const movie = station.movie;
  const full = movie.frames.length >= movie.maxFrames;
  // The camera program is gone and being restarted: say so with a picture, not a black screen.
  const asleep = station.camera.state === 'restarting' || station.camera.state === 'failed';
  const opacity = state.diff ? 1 : station.settings.onionOpacity;
  return (
    <main className="screen make" data-screen="make" aria-label={t('make.live')}>
      {last && onion && (
        <img
          key={state.diff ? 'diff' : 'onion'}
          className={`onion${state.diff ? ' diff' : ''}`}
          data-testid="onion"
          src={onion}
          alt={t('make.onion')}
          style={{ opacity }}
          draggable={false}
        />
      )}
      {asleep && <CameraAsleep label={t('make.cameraAsleep')} />}
      <div className="make-controls">
        <ActionButton action="undo" disabled={movie.frames.length === 0} />
        <ActionButton action="capture" disabled={full || asleep} className={state.refused ? `refused-${state.refused % 2}` : undefined} />
        <ActionButton action="play" disabled={movie.frames.length === 0} />
        <ActionButton action="finish" disabled={movie.frames.length === 0} />
      </div>
      <button
        type="button"
        className={`diff-toggle${state.diff ? ' on' : ''}`}
        aria-pressed={state.diff}
        aria-label={t('make.diff')}
        data-testid="diff"
        onClick={() => actions.toggleDiff()}
      >
        <DiffIcon />
      </button>
      <div className="make-bottom">
        <FilmStrip />
        <Budget />
      </div>
    </main>
  );
}
