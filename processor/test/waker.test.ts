import { describe, expect, it } from 'vitest';
import { runWorker, Waker } from '../src/waker.js';

/** Far longer than any test may wait: a sleep that ends is one that was woken. */
const FOREVER_MS = 3_600_000;

describe('Waker', () => {
  it('a wake ends a sleep at once', async () => {
    const w = new Waker();
    const slept = w.sleep(FOREVER_MS);
    w.wake();
    await slept;
  });

  it('a wake while nobody sleeps is kept for the next sleep', async () => {
    const w = new Waker();
    w.wake();
    await w.sleep(FOREVER_MS);
  });

  it('a sleep without a wake ends at its time', async () => {
    const w = new Waker();
    await w.sleep(1);
  });
});

describe('runWorker', () => {
  it('works while there is work, sleeps when idle, and ends once stopped and woken', async () => {
    const waker = new Waker();
    let running = true;
    const work = [1, 2, 3];
    const done: number[] = [];
    let idleSteps = 0;
    let sawIdle: () => void = () => undefined;
    const idle = new Promise<void>((resolve) => {
      sawIdle = resolve;
    });
    const loop = runWorker(
      () => running,
      waker,
      async () => {
        const next = work.shift();
        if (next === undefined) {
          idleSteps++;
          sawIdle();
          return FOREVER_MS;
        }
        done.push(next);
        return undefined;
      },
    );
    await idle;
    expect(done).toEqual([1, 2, 3]);
    work.push(4);
    waker.wake();
    await new Promise<void>((resolve) => {
      const check = () => (done.length === 4 ? resolve() : setImmediate(check));
      check();
    });
    running = false;
    waker.wake();
    await loop;
    expect(done).toEqual([1, 2, 3, 4]);
    expect(idleSteps).toBeGreaterThanOrEqual(1);
  });
});
