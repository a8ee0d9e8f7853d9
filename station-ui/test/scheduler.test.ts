import { describe, expect, it } from 'vitest';
import { PlaybackClock } from '../src/shared/playback/scheduler.js';

/** Drives the clock with vsync timestamps and returns [absoluteIndex, paintTime] pairs. */
function run(
  clock: PlaybackClock,
  {
    hz = 60,
    ms,
    ready = () => true,
    jitter = () => 0,
  }: { hz?: number; ms: number; ready?: (i: number, t: number) => boolean; jitter?: (n: number) => number },
) {
  const paints: Array<[number, number]> = [];
  const vsync = 1000 / hz;
  for (let n = 0; n * vsync <= ms; n++) {
    const t = 1000 + n * vsync + jitter(n);
    const shown = clock.tick(t, (i) => ready(i, t));
    if (shown !== null) paints.push([shown, t]);
  }
  return paints;
}

function durations(paints: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (let i = 1; i < paints.length; i++) out.push((paints[i]?.[1] ?? 0) - (paints[i - 1]?.[1] ?? 0));
  return out;
}

describe('PlaybackClock', () => {
  for (const fps of [10, 15, 12, 24]) {
    it(`shows every frame in order for 1000/${fps} ms ± one display frame at 60 Hz`, () => {
      const clock = new PlaybackClock(30, fps);
      const paints = run(clock, { ms: 6000 });
      expect(paints.map(([i]) => i)).toEqual(paints.map((_, i) => i));
      expect(paints.length).toBeGreaterThanOrEqual(Math.floor((6000 * fps) / 1000) - 1);
      for (const d of durations(paints)) expect(Math.abs(d - 1000 / fps)).toBeLessThanOrEqual(1000 / 60 + 0.001);
    });
  }

  it('does not drift: frame k lands within a display frame of origin + k·interval', () => {
    const clock = new PlaybackClock(300, 15);
    const paints = run(clock, { ms: 20_000, jitter: (n) => ((n * 7919) % 5) / 10 });
    const origin = paints[0]?.[1] ?? 0;
    for (const [k, t] of paints) expect(Math.abs(t - (origin + (k * 1000) / 15))).toBeLessThanOrEqual(1000 / 60 + 1);
  });

  it('loops: indexOf wraps the absolute index', () => {
    const clock = new PlaybackClock(3, 10);
    const paints = run(clock, { ms: 1000 });
    expect(paints.map(([i]) => clock.indexOf(i)).slice(0, 7)).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('waits for a frame that is not decoded yet instead of skipping it, then gives it its full time', () => {
    const clock = new PlaybackClock(10, 10);
    // Frame 3 is only ready 250 ms late.
    const paints = run(clock, { ms: 2000, ready: (i, t) => i !== 3 || t >= 1550 });
    const order = paints.map(([i]) => clock.indexOf(i));
    expect(order.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const d = durations(paints);
    expect(d[2]).toBeGreaterThan(200); // frame 2 held while 3 decoded
    expect(Math.abs((d[3] ?? 0) - 100)).toBeLessThanOrEqual(1000 / 60 + 0.001); // 3 then gets its full 100 ms
  });

  it('after a starved page (no rAF for a second) continues with the next frame, not a jump', () => {
    const clock = new PlaybackClock(50, 10);
    const paints: number[] = [];
    for (const t of [0, 100, 200, 1300, 1400, 1500]) {
      const shown = clock.tick(t, () => true);
      if (shown !== null) paints.push(shown);
    }
    expect(paints).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('wants the next frames first, wrapping around the loop', () => {
    const clock = new PlaybackClock(4, 10);
    clock.tick(0, () => true);
    clock.tick(100, () => true);
    clock.tick(200, () => true);
    expect(clock.wanted(3)).toEqual([3, 0, 1]);
    expect(clock.wanted(10)).toEqual([3, 0, 1, 2]);
  });

  it('rejects an empty film and a zero fps', () => {
    expect(() => new PlaybackClock(0, 10)).toThrow(RangeError);
    expect(() => new PlaybackClock(3, 0)).toThrow(RangeError);
  });
});
