import type { Page } from '@playwright/test';

/**
 * A "zero delay" USB encoder as Chromium shows it: a standard-less gamepad with
 * 12 buttons, scripted by the test through `navigator.getGamepads`, which the UI
 * polls every animation frame.
 */
export interface ScriptedPad {
  /** Sets a button and waits until the UI has polled the pad twice since. */
  set(index: number, pressed: boolean): Promise<void>;
  /** A press and its release. */
  tap(index: number): Promise<void>;
}

/**
 * How long a button stays up before the script presses it again. A hand is never
 * faster than this; the UI's debounce (BUTTON_DEBOUNCE_MS, 30 ms by default) would
 * rightly drop a press that came sooner, and a test must not depend on how fast
 * the machine happens to be.
 */
const UP_BEFORE_PRESS_MS = 120;

interface PadWindow {
  __pad: { buttons: Array<{ pressed: boolean; value: number }> };
  __polls: number;
  /** performance.now() of the first poll that saw each button up, null while it is down. */
  __upAt: Array<number | null>;
}

export async function scriptGamepad(page: Page): Promise<ScriptedPad> {
  await page.addInitScript(() => {
    const w = window as unknown as PadWindow;
    w.__polls = 0;
    w.__upAt = Array.from({ length: 12 }, () => Number.NEGATIVE_INFINITY);
    w.__pad = {
      id: 'DragonRise Inc.   Generic   USB  Joystick   (Vendor: 0079 Product: 0006)',
      index: 0,
      connected: true,
      mapping: '',
      timestamp: 0,
      axes: [0, 0],
      buttons: Array.from({ length: 12 }, () => ({ pressed: false, touched: false, value: 0 })),
      hapticActuators: [],
      vibrationActuator: null,
    } as PadWindow['__pad'];
    Object.defineProperty(navigator, 'getGamepads', {
      configurable: true,
      value: () => {
        w.__polls++;
        const now = performance.now();
        w.__pad.buttons.forEach((b, i) => {
          if (b.pressed) w.__upAt[i] = null;
          else if (w.__upAt[i] === null) w.__upAt[i] = now;
        });
        return [w.__pad as unknown as Gamepad, null, null, null];
      },
    });
  });
  const set = async (index: number, pressed: boolean): Promise<void> => {
    if (pressed) {
      await page.waitForFunction(
        ([i, quiet]) => {
          const upAt = (window as unknown as PadWindow).__upAt[i as number];
          return upAt !== null && upAt !== undefined && performance.now() - upAt >= (quiet as number);
        },
        [index, UP_BEFORE_PRESS_MS] as const,
      );
    }
    const before = await page.evaluate(
      ([i, p]) => {
        const w = window as unknown as PadWindow;
        w.__pad.buttons[i as number] = { pressed: p as boolean, value: p ? 1 : 0 };
        return w.__polls;
      },
      [index, pressed] as const,
    );
    await page.waitForFunction((n) => (window as unknown as PadWindow).__polls >= n + 2, before);
  };
  return {
    set,
    async tap(index) {
      await set(index, true);
      await set(index, false);
    },
  };
}
