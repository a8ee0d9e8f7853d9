import type { ButtonAction } from '@stop-motion/protocol';

/**
 * Keys of a numeric keypad (the layout Dragonframe users know) and of USB arcade
 * encoders. Matched against `KeyboardEvent.key` first, then `.code`.
 */
export const DEFAULT_KEYS: Readonly<Record<string, ButtonAction>> = {
  Enter: 'capture',
  ' ': 'capture',
  Space: 'capture',
  NumpadEnter: 'capture',
  '*': 'undo',
  Backspace: 'undo',
  NumpadMultiply: 'undo',
  '0': 'play',
  Numpad0: 'play',
  '.': 'finish',
  ',': 'finish',
  NumpadDecimal: 'finish',
};

export type KeyMap = Readonly<Record<string, ButtonAction>>;

/** Settings may remap keys; their entries win over the defaults. */
export function keyMap(overrides?: Record<string, ButtonAction>): KeyMap {
  return { ...DEFAULT_KEYS, ...(overrides ?? {}) };
}

export interface KeyLike {
  key: string;
  code: string;
  repeat: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** The action of a key press, or null. Held keys (auto-repeat) and shortcuts with modifiers do nothing. */
export function actionForKey(map: KeyMap, ev: KeyLike): ButtonAction | null {
  if (ev.repeat || ev.ctrlKey || ev.altKey || ev.metaKey) return null;
  return map[ev.key] ?? map[ev.code] ?? null;
}

/** The keys bound to each action, for the designer panel. */
export function keysByAction(map: KeyMap): Record<ButtonAction, string[]> {
  const out: Record<ButtonAction, string[]> = { capture: [], undo: [], play: [], finish: [] };
  for (const [key, action] of Object.entries(map)) {
    if (key === 'Space') continue;
    out[action].push(key === ' ' ? 'Space' : key);
  }
  return out;
}

/** F2 or Ctrl+Alt+O opens the operator corner. */
export function isOperatorKey(ev: Pick<KeyLike, 'key' | 'code' | 'ctrlKey' | 'altKey'>): boolean {
  return ev.key === 'F2' || (ev.ctrlKey && ev.altKey && (ev.code === 'KeyO' || ev.key.toLowerCase() === 'o'));
}
