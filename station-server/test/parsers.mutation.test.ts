// Output of programs the station reads: gpiofind and gpiomon lines with any spacing,
// and rpicam metadata as rpicam-vid writes it (pretty-printed JSON, per-line objects).
import { describe, expect, it } from 'vitest';
import { parseGpiofind, parseGpiomonLine } from '../src/buttons/gpiomon.js';
import { lockedControlsFromMetadata } from '../src/camera/args.js';

describe('gpio output with more than one space', () => {
  it('gpiofind', () => {
    expect(parseGpiofind('gpiochip0   17')).toEqual({ chip: 'gpiochip0', offset: 17 });
    expect(parseGpiofind('gpiochip0 17x')).toBeNull();
  });
  it('gpiomon', () => {
    expect(parseGpiomonLine('17  1   12.500000000')).toEqual({ offset: 17, pressed: true, timeMs: 12_500 });
    expect(parseGpiomonLine('17\t\t0\t\t12.500000000  GPIO17')).toEqual({ offset: 17, pressed: false, timeMs: 12_500, name: 'GPIO17' });
  });
});

describe('rpicam metadata', () => {
  it('one pretty-printed object', () => {
    expect(lockedControlsFromMetadata('{\n  "ExposureTime": 5000,\n  "AnalogueGain": 1.5\n}\n')).toEqual({ shutterUs: 5000, gain: 1.5 });
  });
  it('a gain of 0 is not a value to lock', () => {
    expect(lockedControlsFromMetadata('{"AnalogueGain": 0}')).toBeNull();
  });
  it('per-line objects: spaces after the comma, and a last line that is not an object', () => {
    expect(lockedControlsFromMetadata('{"AnalogueGain": 4},  \nnot json')).toEqual({ gain: 4 });
    expect(lockedControlsFromMetadata('{"AnalogueGain": 4}\n7')).toEqual({ gain: 4 });
    expect(lockedControlsFromMetadata('{"AnalogueGain": 4}\n"text"')).toEqual({ gain: 4 });
  });
});
