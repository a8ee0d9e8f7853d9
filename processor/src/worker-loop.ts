import { runWorker, Waker } from './waker.js';

/**
 * The loop both pipeline workers run: one step at a time while started; a step returns how
 * long to sleep (undefined: go on at once), and a wake cuts the sleep short.
 */
export abstract class WorkerLoop {
  private started = false;
  private readonly waker = new Waker();
  private loop: Promise<void> | null = null;

  /** False once stop() was called: a step that fails then was stopped, not broken. */
  protected get running(): boolean {
    return this.started;
  }

  /** One unit of work; the idle time before the next, or undefined for none. */
  protected abstract step(): Promise<number | undefined>;

  /** Called by stop() once `running` is false, before the loop is awaited. */
  protected onStop(): void {}

  start(): void {
    this.started = true;
    this.loop = runWorker(
      () => this.started,
      this.waker,
      () => this.step(),
    );
  }

  /** Ends the loop after the step under way. */
  async stop(): Promise<void> {
    this.started = false;
    this.onStop();
    this.waker.wake();
    await this.loop;
  }

  wake(): void {
    this.waker.wake();
  }
}
