// Buttons without hardware: libgpiod v1 command lines and output (gpiomon, gpiofind,
// gpioset), the lights' logic, and debounce with capture lockout over given times.
import type { StationState } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { createPressFilter } from '../src/buttons/debounce.js';
import { gpiofindArgs, gpiomonArgs, parseGpiofind, parseGpiomonLine } from '../src/buttons/gpiomon.js';
import { gpiosetArgs, ledStates } from '../src/buttons/leds.js';

describe('press filter', () => {
  it('an edge exactly debounceMs after the last one counts; one a millisecond sooner does not', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 0 });
    expect(f.edge('undo', true, 1000)).toBe(true);
    expect(f.edge('undo', false, 1029)).toBe(false);
    expect(f.edge('undo', true, 1058)).toBe(false); // 29 ms after the release edge
    expect(f.edge('undo', true, 1088)).toBe(true); // 30 ms after the last edge
  });
  it('every edge, pressed or not, restarts the quiet time', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 0 });
    expect(f.edge('play', false, 0)).toBe(false);
    expect(f.edge('play', true, 20)).toBe(false);
    expect(f.edge('play', true, 45)).toBe(false);
    expect(f.edge('play', true, 75)).toBe(true);
  });
  it('the first edge of a line counts at any time, even at 0', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 0 });
    expect(f.edge('finish', true, 0)).toBe(true);
    expect(createPressFilter({ debounceMs: 30, captureLockoutMs: 0 }).edge('finish', true, -5)).toBe(true);
  });
  it('lines are debounced each on their own', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 0 });
    expect(f.edge('undo', true, 100)).toBe(true);
    expect(f.edge('play', true, 101)).toBe(true);
    expect(f.edge('finish', true, 102)).toBe(true);
    expect(f.edge('undo', true, 110)).toBe(false);
  });
  it('a release edge is never a press, even after a long quiet time', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 0 });
    expect(f.edge('undo', false, 10_000)).toBe(false);
  });
  it('capture lockout: exactly captureLockoutMs later is allowed, sooner is not', () => {
    const f = createPressFilter({ debounceMs: 0, captureLockoutMs: 400 });
    expect(f.press('capture', 1000)).toBe(true);
    expect(f.press('capture', 1399)).toBe(false);
    expect(f.press('capture', 1400)).toBe(true);
    expect(f.press('capture', 1799)).toBe(false);
  });
  it('a refused capture does not extend the lockout', () => {
    const f = createPressFilter({ debounceMs: 0, captureLockoutMs: 400 });
    expect(f.press('capture', 0)).toBe(true);
    expect(f.press('capture', 300)).toBe(false);
    expect(f.press('capture', 400)).toBe(true);
  });
  it('the lockout only holds captures, and applies to GPIO edges and clean presses alike', () => {
    const f = createPressFilter({ debounceMs: 10, captureLockoutMs: 400 });
    expect(f.edge('capture', true, 0)).toBe(true);
    expect(f.press('capture', 100)).toBe(false);
    expect(f.edge('capture', true, 200)).toBe(false);
    expect(f.press('undo', 100)).toBe(true);
    expect(f.press('undo', 101)).toBe(true);
    expect(f.edge('capture', true, 600)).toBe(true);
  });
  it('an edge refused by debounce does not start a lockout', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 400 });
    expect(f.edge('capture', false, 0)).toBe(false);
    expect(f.edge('capture', true, 10)).toBe(false);
    expect(f.press('capture', 20)).toBe(true);
  });
});

describe('gpiomon and gpiofind', () => {
  it('gpiomon argv, pull-up by default', () => {
    expect(gpiomonArgs({ chip: 'gpiochip0', offsets: [4] })).toEqual([
      '-b',
      '--bias=pull-up',
      '--active-low',
      '--format=%o %e %s.%n',
      'gpiochip0',
      '4',
    ]);
    expect(gpiomonArgs({ chip: 'gpiochip1', offsets: [4, 5], bias: 'pull-down' })[1]).toBe('--bias=pull-down');
    expect(() => gpiomonArgs({ chip: 'gpiochip0', offsets: [] })).toThrow('gpiomon needs at least one line');
  });
  it('gpiofind argv and answer', () => {
    expect(gpiofindArgs(17)).toEqual(['GPIO17']);
    expect(parseGpiofind('gpiochip0 17\n')).toEqual({ chip: 'gpiochip0', offset: 17 });
    expect(parseGpiofind('  gpiochip4\t5  ')).toEqual({ chip: 'gpiochip4', offset: 5 });
    expect(parseGpiofind('gpiochip0 17 extra')).toBeNull();
    expect(parseGpiofind('x gpiochip0 17')).toBeNull();
    expect(parseGpiofind('gpiochip0 x17')).toBeNull();
    expect(parseGpiofind('gpiochip0')).toBeNull();
    expect(parseGpiofind('')).toBeNull();
  });
  it('gpiomon lines: offset, edge and kernel time in ms', () => {
    expect(parseGpiomonLine('17 1 12.5')).toEqual({ offset: 17, pressed: true, timeMs: 12_500 });
    expect(parseGpiomonLine('  3 0 7.000000001  ')).toEqual({ offset: 3, pressed: false, timeMs: 7000.000001 });
    expect(parseGpiomonLine('3 1 0.123456789')).toEqual({ offset: 3, pressed: true, timeMs: 123.456789 });
  });
  it.each(['', '17 2 1.0', '17 1 1', '17 1 1.', '17 1 1.1234567890', 'x17 1 1.0', '17 1 1.0 x', '17 1 -1.0', '171 1.0'])(
    'not a gpiomon line: %j',
    (line) => {
      expect(parseGpiomonLine(line)).toBeNull();
    },
  );
});

describe('lights', () => {
  const state = (frames: number, camera: StationState['camera']['state'] = 'ok', full = false, maxFrames = 3) =>
    ({
      movie: {
        frames: Array.from({ length: frames }, (_, i) => ({ file: `${String(i).padStart(4, '0')}.jpg`, hash: 'abcdef01' })),
        maxFrames,
      },
      camera: { state: camera },
      disk: { full },
    }) as Pick<StationState, 'movie' | 'camera' | 'disk'>;

  it('no frames: only capture is lit', () => {
    expect(ledStates(state(0))).toEqual({ capture: true, undo: false, play: false, finish: false });
  });
  it('with frames every button is lit until the movie is full', () => {
    expect(ledStates(state(2))).toEqual({ capture: true, undo: true, play: true, finish: true });
    expect(ledStates(state(3))).toEqual({ capture: false, undo: true, play: true, finish: true });
  });
  it('capture is dark while the camera is not ok or the disk is full', () => {
    expect(ledStates(state(1, 'restarting')).capture).toBe(false);
    expect(ledStates(state(1, 'ok', true)).capture).toBe(false);
  });
  it('gpioset argv', () => {
    expect(
      gpiosetArgs('gpiochip0', [
        { offset: 5, on: true },
        { offset: 6, on: false },
      ]),
    ).toEqual(['--mode=signal', 'gpiochip0', '5=1', '6=0']);
    expect(() => gpiosetArgs('gpiochip0', [])).toThrow('gpioset needs at least one line');
  });
});
