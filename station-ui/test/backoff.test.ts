import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/shared/connection/backoff.js';

describe('backoffDelay', () => {
  const opts = { baseMs: 250, maxMs: 5000, jitter: 0 };
  it('doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
  it('stays at the cap forever, with no overflow for huge attempt counts', () => {
    expect(backoffDelay(1_000_000, opts)).toBe(5000);
    expect(Number.isFinite(backoffDelay(Number.MAX_SAFE_INTEGER, opts))).toBe(true);
  });
  it('jitters within ±jitter of the delay', () => {
    const j = { ...opts, jitter: 0.2 };
    expect(backoffDelay(10, j, () => 0)).toBe(4000);
    expect(backoffDelay(10, j, () => 1)).toBe(6000);
    expect(backoffDelay(10, j, () => 0.5)).toBe(5000);
  });
});
