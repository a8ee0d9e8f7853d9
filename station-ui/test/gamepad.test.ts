import { describe, expect, it } from 'vitest';
import { createGamepadTracker, DEFAULT_GAMEPAD, gamepadMap, type PadLike } from '../src/shared/input/gamepad.js';

const pad = (pressed: number[], index = 0, count = 12): PadLike => ({
  index,
  buttons: Array.from({ length: count }, (_, i) => ({ pressed: pressed.includes(i) })),
});

/** Polls a sequence of [time, pressed buttons] and returns the presses with their times. */
function run(steps: Array<[number, number[]]>, debounceMs = 30, map = DEFAULT_GAMEPAD) {
  const tracker = createGamepadTracker(map, debounceMs);
  return steps.flatMap(([t, pressed]) => tracker.poll([pad(pressed)], t).map((a) => [a, t]));
}

describe('gamepad buttons', () => {
  it('one press is one press, at the poll that saw it go down', () => {
    expect(
      run([
        [0, []],
        [16, [0]],
        [32, [0]],
        [48, []],
        [64, []],
      ]),
    ).toEqual([['capture', 16]]);
  });

  it('bounce within the debounce is one press; a press after a real release counts', () => {
    const steps: Array<[number, number[]]> = [
      [0, []],
      [16, [1]],
      [24, []],
      [28, [1]],
      [200, []],
      [260, [1]],
    ];
    expect(run(steps)).toEqual([
      ['undo', 16],
      ['undo', 260],
    ]);
  });

  it('a button held when the pad first shows up does not press; unmapped buttons do nothing', () => {
    expect(
      run([
        [0, [0, 7]],
        [16, [0, 7]],
        [32, []],
        [100, [7]],
        [200, [0]],
      ]),
    ).toEqual([['capture', 200]]);
  });

  it('two pads are tracked apart', () => {
    const tracker = createGamepadTracker(DEFAULT_GAMEPAD, 30);
    tracker.poll([pad([], 0), pad([], 1)], 0);
    expect(tracker.poll([pad([2], 0), pad([3], 1)], 50)).toEqual(['play', 'finish']);
    expect(tracker.poll([null, pad([3], 1)], 60)).toEqual([]);
  });

  it('a station map replaces the default numbering', () => {
    const map = gamepadMap({ 5: 'capture', 4: 'undo' });
    expect(map).toEqual({ 5: 'capture', 4: 'undo' });
    expect(
      run(
        [
          [0, []],
          [16, [0, 5]],
        ],
        30,
        map,
      ),
    ).toEqual([['capture', 16]]);
    expect(gamepadMap(undefined)).toBe(DEFAULT_GAMEPAD);
  });
});
