/**
 * The one sleep/wake of the pipeline's workers: a worker with nothing to do sleeps until
 * its next due time or until someone hands it work. A wake that comes while the worker
 * is busy is kept, so work handed over mid-step is never left waiting for the timer.
 */
export class Waker {
  private wakeUp: (() => void) | null = null;
  private pending = false;

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.pending = true;
  }
}

/**
 * Runs `step` until `isRunning()` turns false. A step that found nothing to do returns
 * how long to wait before looking again; one that did work returns undefined and the
 * next step follows at once.
 */
export async function runWorker(isRunning: () => boolean, waker: Waker, step: () => Promise<number | undefined>): Promise<void> {
  while (isRunning()) {
    const idleMs = await step();
    if (idleMs !== undefined && isRunning()) await waker.sleep(idleMs);
  }
}
