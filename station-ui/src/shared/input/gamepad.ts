import type { ButtonAction } from '@stop-motion/protocol';

/**
 * USB arcade encoders of the cheap "zero delay" kind present as joysticks: their
 * buttons arrive through the Gamepad API, by index. The four wired buttons are the
 * first four unless the station's settings map them (BUTTON_GAMEPAD).
 */
export const DEFAULT_GAMEPAD: Readonly<Record<string, ButtonAction>> = { 0: 'capture', 1: 'undo', 2: 'play', 3: 'finish' };

export type GamepadMap = Readonly<Record<string, ButtonAction>>;

/** A station's map replaces the default one (an encoder's numbering is its own). */
export function gamepadMap(configured?: Record<string, ButtonAction>): GamepadMap {
  return configured && Object.keys(configured).length > 0 ? { ...configured } : DEFAULT_GAMEPAD;
}

/** What the poller reads of `navigator.getGamepads()`. */
export interface PadLike {
  index: number;
  buttons: ReadonlyArray<{ pressed: boolean }>;
}

export interface GamepadTracker {
  /** One poll: the actions of the buttons that went down now and count as presses. */
  poll(pads: ReadonlyArray<PadLike | null>, nowMs: number): ButtonAction[];
}

/**
 * Edge detection with the station's debounce, as a pure state machine over the
 * times it is given: a button going down is a press only when it had been up for
 * `debounceMs` (the first edge of a bouncy press wins, no added latency). A pad
 * seen for the first time with a button held does not press it.
 */
export function createGamepadTracker(map: GamepadMap, debounceMs: number): GamepadTracker {
  const down = new Map<string, boolean>();
  const upSince = new Map<string, number>();
  return {
    poll(pads, now) {
      const presses: ButtonAction[] = [];
      for (const pad of pads) {
        if (!pad) continue;
        pad.buttons.forEach((b, i) => {
          const id = `${pad.index}:${i}`;
          const was = down.get(id);
          down.set(id, b.pressed);
          if (was === undefined) {
            if (!b.pressed) upSince.set(id, Number.NEGATIVE_INFINITY);
            return;
          }
          if (was && !b.pressed) upSince.set(id, now);
          if (!was && b.pressed) {
            const action = map[String(i)];
            const quietFor = now - (upSince.get(id) ?? now);
            if (action && quietFor >= debounceMs) presses.push(action);
          }
        });
      }
      return presses;
    },
  };
}
