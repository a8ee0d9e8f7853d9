import type { CSSProperties } from 'react';
import { budgetFill } from '../../shared/model/station.js';
import { colors } from '../../shared/theme/theme.js';
import { useUi } from '../../shared/ui/context.js';

/** How much of the film is used, as a strip filling up from the inline start (no number to read). */
export function Budget() {
  const { state, t } = useUi();
  const movie = state.station?.movie;
  if (!movie) return null;
  const fill = budgetFill(movie.frames.length, movie.maxFrames);
  const style = {
    '--fill': `${(fill * 100).toFixed(2)}%`,
    '--fill-color': fill >= 0.9 ? colors.budgetFull : colors.budget,
  } as CSSProperties;
  return (
    // A styled bar rather than <meter>, whose look Chromium barely lets a theme change.
    // biome-ignore lint/a11y/useSemanticElements: see above
    <div
      className="budget"
      data-testid="budget"
      role="meter"
      aria-valuemin={0}
      aria-valuemax={movie.maxFrames}
      aria-valuenow={movie.frames.length}
      aria-label={t('make.budget', { count: movie.frames.length, max: movie.maxFrames })}
      style={style}
    >
      <div className="budget-fill" />
    </div>
  );
}
