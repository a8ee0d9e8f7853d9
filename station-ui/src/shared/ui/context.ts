import type { Locale } from '@stop-motion/protocol';
import { createContext, useContext } from 'react';
import type { Direction, Translate } from '../i18n/i18n.js';
import type { Actions, AppState } from '../model/app-state.js';

export interface Ui {
  state: AppState;
  actions: Actions;
  t: Translate;
  dir: Direction;
  locale: Locale;
}

export const UiContext = createContext<Ui | null>(null);

export function useUi(): Ui {
  const ui = useContext(UiContext);
  if (!ui) throw new Error('useUi outside UiContext');
  return ui;
}
