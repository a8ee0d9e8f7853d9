// Retries of S3 uploads while the bucket is away.
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../src/upload.js';

describe('upload backoff', () => {
  const mid = () => 0.5;
  it('starts at one second and doubles per attempt', () => {
    expect([0, 1, 2, 3, 4].map((a) => backoffMs(a, 60_000, mid))).toEqual([1000, 1000, 2000, 4000, 8000]);
  });
  it('is capped, also after the jitter', () => {
    expect(backoffMs(20, 30_000, mid)).toBe(30_000);
    expect(backoffMs(20, 30_000, () => 1)).toBe(30_000);
    expect(backoffMs(3, 5000, () => 1)).toBe(4800);
    expect(backoffMs(4, 5000, () => 0)).toBe(4000);
  });
  it('jitters between 80 % and 120 %, rounded', () => {
    expect(backoffMs(2, 60_000, () => 0)).toBe(1600);
    expect(backoffMs(2, 60_000, () => 1)).toBe(2400);
    expect(backoffMs(1, 60_000, () => 0.0001)).toBe(800);
  });
  it('uses Math.random when no source is given', () => {
    for (let i = 0; i < 20; i++) {
      const d = backoffMs(2, 60_000);
      expect(d).toBeGreaterThanOrEqual(1600);
      expect(d).toBeLessThanOrEqual(2400);
    }
  });
});
