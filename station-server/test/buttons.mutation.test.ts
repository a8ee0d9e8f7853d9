// Buttons without hardware: libgpiod v1 command lines and output (gpiomon, gpiofind,
// gpioset), the lights' logic, and debounce with capture lockout over given times.
import type { StationState } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { createPressFilter } from '../src/buttons/debounce.js';
import { gpiofindArgs, gpiomonArgs, parseGpiodVersion, parseGpiofind, parseGpiomonLine } from '../src/buttons/gpiomon.js';
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
  it('libgpiod 1 gpiomon argv, pull-up by default', () => {
    expect(gpiomonArgs(1, { chip: 'gpiochip0', ids: ['4'] })).toEqual([
      '-b',
      '--bias=pull-up',
      '--active-low',
      '--format=%o %e %s.%n',
      'gpiochip0',
      '4',
    ]);
    expect(gpiomonArgs(1, { chip: 'gpiochip1', ids: ['4', '5'] }, 'pull-down')[1]).toBe('--bias=pull-down');
    expect(() => gpiomonArgs(1, { chip: null, ids: ['4'] })).toThrow('libgpiod 1 gpiomon needs a chip');
    expect(() => gpiomonArgs(1, { chip: 'gpiochip0', ids: [] })).toThrow('gpiomon needs at least one line');
  });
  it('libgpiod 2 gpiomon argv: lines by name, or offsets on a chip; as-is leaves the bias out', () => {
    expect(gpiomonArgs(2, { chip: null, ids: ['GPIO17', 'GPIO27'] })).toEqual([
      '--bias=pull-up',
      '--active-low',
      '--edges=both',
      '--format=%o %e %S %l',
      'GPIO17',
      'GPIO27',
    ]);
    expect(gpiomonArgs(2, { chip: 'gpiochip4', ids: ['5'] }, 'as-is')).toEqual([
      '--active-low',
      '--edges=both',
      '--format=%o %e %S %l',
      '--chip',
      'gpiochip4',
      '5',
    ]);
    expect(() => gpiomonArgs(2, { chip: null, ids: [] })).toThrow('gpiomon needs at least one line');
  });
  it('the libgpiod version from --version', () => {
    expect(parseGpiodVersion('gpiomon (libgpiod) v2.2.1\nCopyright')).toBe(2);
    expect(parseGpiodVersion('gpiomon (libgpiod) v1.6.3')).toBe(1);
    expect(parseGpiodVersion('gpiomon (libgpiod)   v1.6.3')).toBe(1);
    expect(parseGpiodVersion('gpiomon (libgpiod) v3.0.0')).toBeNull();
    expect(parseGpiodVersion('gpiomon v2.2.1')).toBeNull();
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
  it('gpiomon lines: offset, edge, kernel time in ms and, from libgpiod 2, the name', () => {
    expect(parseGpiomonLine('17 1 12.500000000')).toEqual({ offset: 17, pressed: true, timeMs: 12_500 });
    expect(parseGpiomonLine('  3 0 7.000001000  ')).toEqual({ offset: 3, pressed: false, timeMs: 7000.001 });
    expect(parseGpiomonLine('17 2 12.500000000 GPIO17')).toEqual({ offset: 17, pressed: false, timeMs: 12_500, name: 'GPIO17' });
  });
  it.each(['', '17 3 1.000000000', '17 1 1', '17 1 1.', '17 1 1.1234567890', 'x17 1 1.0', '17 1 -1.0', '171 1.0'])(
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
  it('gpioset argv for libgpiod 1 and 2', () => {
    expect(gpiosetArgs(1, { chip: 'gpiochip0', ids: ['5', '6'] }, [true, false])).toEqual(['--mode=signal', 'gpiochip0', '5=1', '6=0']);
    expect(gpiosetArgs(2, { chip: null, ids: ['GPIO5', 'GPIO6'] }, [false, true])).toEqual(['GPIO5=0', 'GPIO6=1']);
    expect(gpiosetArgs(2, { chip: 'gpiochip0', ids: ['5'] }, [true])).toEqual(['--chip', 'gpiochip0', '5=1']);
    expect(() => gpiosetArgs(1, { chip: null, ids: ['5'] }, [true])).toThrow('libgpiod 1 gpioset needs a chip');
    expect(() => gpiosetArgs(2, { chip: null, ids: [] }, [])).toThrow('gpioset needs at least one line');
  });
});
