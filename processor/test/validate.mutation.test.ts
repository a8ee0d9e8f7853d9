// The film's natural size when a package does not record one: decided from the frames.
import { describe, expect, it } from 'vitest';
import type { JpegInfo } from '../src/jpeg.js';
import { dominantSize, type GoodFrame, uprightSize } from '../src/validate.js';

const info = (width: number, height: number, orientation = 1): JpegInfo => ({
  width,
  height,
  components: 3,
  progressive: false,
  orientation,
  adobe: false,
  sampling: '22,11,11',
  scans: 1,
});
const frame = (width: number, height: number, orientation = 1): GoodFrame => ({ file: '0000.jpg', info: info(width, height, orientation) });

describe('uprightSize', () => {
  it('swaps the sides for the orientations that turn the picture (5–8) only', () => {
    expect([1, 2, 3, 4].map((o) => uprightSize(info(640, 480, o)))).toEqual(Array(4).fill({ width: 640, height: 480 }));
    expect([5, 6, 7, 8].map((o) => uprightSize(info(640, 480, o)))).toEqual(Array(4).fill({ width: 480, height: 640 }));
  });
});

describe('dominantSize', () => {
  it('is the size most frames have', () => {
    expect(dominantSize([frame(640, 480), frame(320, 240), frame(320, 240)])).toEqual({ width: 320, height: 240 });
    expect(dominantSize([frame(320, 240), frame(640, 480), frame(640, 480), frame(320, 240), frame(640, 480)])).toEqual({
      width: 640,
      height: 480,
    });
  });
  it('counts frames upright', () => {
    expect(dominantSize([frame(480, 640), frame(640, 480, 6), frame(640, 480)])).toEqual({ width: 480, height: 640 });
  });
  it('on a tie the size seen first wins', () => {
    expect(dominantSize([frame(320, 240), frame(640, 480)])).toEqual({ width: 320, height: 240 });
    expect(dominantSize([frame(640, 480), frame(320, 240)])).toEqual({ width: 640, height: 480 });
  });
  it('one frame decides alone; no frames give the smallest size', () => {
    expect(dominantSize([frame(16, 16)])).toEqual({ width: 16, height: 16 });
    expect(dominantSize([])).toEqual({ width: 2, height: 2 });
  });
});
