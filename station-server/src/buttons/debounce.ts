import type { ButtonAction } from '@stop-motion/protocol';

export interface PressFilterOptions {
  /** A press counts only when its line was quiet this long before. */
  debounceMs: number;
  /** After an accepted capture, further captures are ignored this long. */
  captureLockoutMs: number;
}

export interface PressFilter {
  /** A raw edge from a GPIO line; true when it is a press to act on. */
  edge(action: ButtonAction, pressed: boolean, atMs: number): boolean;
  /** A clean press (simulated button, key); only the capture lockout applies. */
  press(action: ButtonAction, atMs: number): boolean;
}

/**
 * Debounce and capture lockout as a pure state machine over the times it is given
 * (no clocks inside, so tests drive it with fake time).
 *
 * Contacts bounce for a few milliseconds on press and on release. A press edge is
 * accepted only when the line had no edge for `debounceMs` before it: the first
 * edge of a bouncy press wins, the bounces after it and the bounces of the release
 * are ignored, and a press costs no latency.
 */
export function createPressFilter(timing: PressFilterOptions): PressFilter {
  const lastEdgeAt = new Map<ButtonAction, number>();
  let lastCaptureAt = Number.NEGATIVE_INFINITY;

  const lockout = (action: ButtonAction, at: number): boolean => {
    if (action !== 'capture') return true;
    if (at - lastCaptureAt < timing.captureLockoutMs) return false;
    lastCaptureAt = at;
    return true;
  };

  return {
    edge(action, pressed, at) {
      const previous = lastEdgeAt.get(action) ?? Number.NEGATIVE_INFINITY;
      lastEdgeAt.set(action, at);
      if (!pressed) return false;
      if (at - previous < timing.debounceMs) return false;
      return lockout(action, at);
    },
    press(action, at) {
      return lockout(action, at);
    },
  };
}
