import type { CSSProperties } from 'react';
import { colors, sizes } from './theme.js';

/** The theme as CSS custom properties on the app root; styles.css reads only these. */
export function themeStyle(): CSSProperties {
  return {
    '--bg': colors.background,
    '--surface': colors.surface,
    '--text': colors.text,
    '--text-dim': colors.textDim,
    '--ok': colors.ok,
    '--warn': colors.warn,
    '--bad': colors.bad,
    '--flash': colors.flash,
    '--c-capture': colors.action.capture,
    '--c-undo': colors.action.undo,
    '--c-play': colors.action.play,
    '--c-finish': colors.action.finish,
    '--button-size': `${sizes.buttonVmin}vmin`,
    '--thumb-size': `${sizes.stripThumbVmin}vmin`,
    '--budget-height': `${sizes.budgetHeightVmin}vmin`,
    '--corner': `${sizes.cornerPx}px`,
  } as CSSProperties;
}
