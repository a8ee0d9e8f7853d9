// The one backoff rule: exponential from the first delay, capped, jittered. Used by
// the station UI's reconnects, deliveries, the camera and button supervisors, uploads.
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../src/backoff.js';

describe('backoffMs', () => {
  it.each([
    [0, 500],
    [1, 1000],
    [2, 2000],
    [4, 8000],
    [5, 10_000],
    [60, 10_000],
    [-3, 500],
    [2.7, 2000],
  ])('attempt %d without jitter → %i ms', (attempt, ms) => {
    expect(backoffMs(attempt, { minMs: 500, maxMs: 10_000 })).toBe(ms);
  });
  it('stays at the cap forever, with no overflow for huge attempt counts', () => {
    expect(backoffMs(1_000_000, { minMs: 250, maxMs: 5000 })).toBe(5000);
    expect(Number.isFinite(backoffMs(Number.MAX_SAFE_INTEGER, { minMs: 250, maxMs: 5000 }))).toBe(true);
  });
  it('the exponent stops at 30, so a huge cap is reached without overflow', () => {
    expect(backoffMs(40, { minMs: 1, maxMs: Number.POSITIVE_INFINITY })).toBe(2 ** 30);
  });
  it('jitter spreads within ±fraction and never past the cap', () => {
    const o = { minMs: 1000, maxMs: 4000, jitter: 0.2 };
    expect(backoffMs(1, o, () => 0)).toBe(1600);
    expect(backoffMs(1, o, () => 1)).toBe(2400);
    expect(backoffMs(1, o, () => 0.5)).toBe(2000);
    expect(backoffMs(9, o, () => 1)).toBe(4000);
    expect(backoffMs(9, o, () => 0)).toBe(3200);
  });
  it('never negative, even with a jitter above 1', () => {
    expect(backoffMs(0, { minMs: 100, maxMs: 1000, jitter: 2 }, () => 0)).toBe(0);
    expect(backoffMs(0, { minMs: 100, maxMs: 1000, jitter: -1 }, () => 0)).toBe(100);
  });
  it('without jitter the delay is exact; only a jittered one is rounded', () => {
    expect(backoffMs(1, { minMs: 0.75, maxMs: 10 })).toBe(1.5);
    expect(backoffMs(1, { minMs: 0.75, maxMs: 10, jitter: 0.1 }, () => 0.5)).toBe(2);
  });
  it('rounds to whole milliseconds', () => {
    expect(backoffMs(0, { minMs: 3, maxMs: 1000, jitter: 0.5 }, () => 0.7)).toBe(4);
    expect(backoffMs(0, { minMs: 3, maxMs: 1000, jitter: 0.5 }, () => 0)).toBe(2);
  });
  it('uses Math.random by default, within the spread', () => {
    for (let i = 0; i < 20; i++) {
      const d = backoffMs(2, { minMs: 250, maxMs: 5000, jitter: 0.2 });
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1200);
    }
  });
});
