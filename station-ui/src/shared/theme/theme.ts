import type { ButtonAction } from '@stop-motion/protocol';

/**
 * Everything a designer tunes lives here and in icons.tsx / sounds.ts: colours,
 * sizes, timings. Logic never hard-codes any of these.
 */
export const colors = {
  background: '#101820',
  surface: '#1c2833',
  text: '#ffffff',
  textDim: '#b8c4cf',
  ok: '#2ecc71',
  warn: '#f5b041',
  bad: '#e74c3c',
  flash: '#ffffff',
  budget: '#5dade2',
  budgetFull: '#e74c3c',
  /** The physical arcade buttons, so on-screen buttons look like them. */
  action: {
    capture: '#e53935',
    undo: '#fdd835',
    play: '#43a047',
    finish: '#1e88e5',
  } satisfies Record<ButtonAction, string>,
  /** Text/icon colour on top of each action colour (contrast for the axe check). */
  onAction: {
    capture: '#ffffff',
    undo: '#1a1a1a',
    play: '#0b1a0c',
    finish: '#ffffff',
  } satisfies Record<ButtonAction, string>,
} as const;

export const sizes = {
  /** On-screen button diameter, as a share of the shorter screen side. */
  buttonVmin: 15,
  stripThumbVmin: 13,
  stripCount: 8,
  budgetHeightVmin: 2.2,
  cornerPx: 24,
} as const;

export const timing = {
  flashMs: 180,
  undoLeaveMs: 450,
  /** How long the operator long-presses the top-left corner. */
  operatorHoldMs: 3000,
  /** The "still there?" question waits this long for a press before acting. */
  idlePromptSeconds: 20,
  heartbeatMs: 5000,
  requestTimeoutMs: 10_000,
} as const;

/**
 * Which physical button answers the consent question (the card wears its colour and
 * icon). Not capture/undo: those always capture/undo, on every screen.
 */
export const consentButtons = { public: 'finish', private: 'play' } as const satisfies Record<string, ButtonAction>;

export const actionOrder: readonly ButtonAction[] = ['undo', 'capture', 'play', 'finish'];
