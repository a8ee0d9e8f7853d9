import { posterUrl } from '../../shared/model/station.js';
import { HandIcon } from '../../shared/theme/icons.js';
import { colors } from '../../shared/theme/theme.js';
import { ActionButton } from '../../shared/ui/ActionButton.js';
import { useUi } from '../../shared/ui/context.js';

/**
 * The invitation: a tiny looping film of a figure that moves a step each time a hand
 * presses the red button, then the recent films of this station.
 */
export function AttractScreen() {
  const { state, t } = useUi();
  const recent = state.station?.recent ?? [];
  return (
    <main className="screen attract" data-screen="attract" aria-label={t('attract.invite')}>
      <div className="attract-film" aria-hidden="true">
        <svg viewBox="0 0 400 200" className="attract-svg" aria-hidden="true">
          <rect x="0" y="160" width="400" height="40" fill="#2c3e50" />
          <g className="attract-figure">
            <circle cx="0" cy="110" r="16" fill="#f5b041" />
            <rect x="-14" y="126" width="28" height="34" rx="8" fill="#f5b041" />
          </g>
          <rect className="attract-shutter" x="0" y="0" width="400" height="200" fill="#fff" />
        </svg>
        <div className="attract-hand">
          <HandIcon className="attract-hand-icon" />
        </div>
      </div>
      <ActionButton action="capture" className="attract-go pulse" />
      {recent.length > 0 && (
        <section className="recent" aria-label={t('attract.recent')}>
          {recent
            .slice(0, 6)
            .map((film) =>
              film.posterFile ? (
                <img
                  key={film.id}
                  className="recent-poster"
                  src={posterUrl(film.id, film.posterFile)}
                  alt={t('attract.recentFilm', { count: film.frameCount })}
                  loading="lazy"
                  decoding="async"
                  style={{ borderColor: colors.action.finish }}
                />
              ) : null,
            )}
        </section>
      )}
    </main>
  );
}
