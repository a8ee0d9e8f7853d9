// Reconnect delays of the station UI: exponential from the base, capped, jittered.
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/shared/connection/backoff.js';

describe('backoffDelay', () => {
  it('defaults: 250 ms doubling to 5 s, ±20 %', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 250, maxMs: 5000, jitter: 0.2 });
    expect(backoffDelay(0, undefined, () => 0.5)).toBe(250);
    expect(backoffDelay(0, undefined, () => 0)).toBe(200);
    expect(backoffDelay(0, undefined, () => 1)).toBe(300);
    expect(backoffDelay(9, undefined, () => 1)).toBe(6000);
  });
  it('a negative attempt counts as the first', () => {
    expect(backoffDelay(-3, { baseMs: 100, maxMs: 1000, jitter: 0 })).toBe(100);
  });
  it('the exponent stops at 30, so a huge cap is reached without overflow', () => {
    expect(backoffDelay(40, { baseMs: 1, maxMs: Number.POSITIVE_INFINITY, jitter: 0 })).toBe(2 ** 30);
  });
  it('never negative, even with a jitter above 1', () => {
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000, jitter: 2 }, () => 0)).toBe(0);
  });
  it('rounds to whole milliseconds', () => {
    expect(backoffDelay(0, { baseMs: 3, maxMs: 1000, jitter: 0.5 }, () => 0.7)).toBe(4);
    expect(backoffDelay(0, { baseMs: 3, maxMs: 1000, jitter: 0.5 }, () => 0)).toBe(2);
  });
  it('uses Math.random by default, within the spread', () => {
    for (let i = 0; i < 20; i++) {
      const d = backoffDelay(2);
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1200);
    }
  });
});
