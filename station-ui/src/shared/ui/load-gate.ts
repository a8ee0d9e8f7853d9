/**
 * At most `limit` loads at a time, newest request first. The station makes strip
 * thumbnails on demand (slowly, one at a time, on a Pi); unbounded, they would take
 * all six of the browser's connections to the station and make the newest frame —
 * the one a child is waiting to see — queue behind them.
 */
export class LoadGate {
  private active = 0;
  private readonly waiting: Array<{ start: () => void }> = [];

  constructor(private readonly limit: number) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `start` now or when a slot frees (newest first). The returned function
   * ends the load (loaded, failed, or no longer wanted) and is safe to call twice.
   */
  acquire(start: () => void): () => void {
    let state: 'queued' | 'active' | 'done' = 'queued';
    const entry = {
      start: () => {
        state = 'active';
        this.active++;
        start();
      },
    };
    if (this.active < this.limit) entry.start();
    else this.waiting.push(entry);
    return () => {
      if (state === 'queued') {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
      } else if (state === 'active') {
        this.active--;
        this.waiting.pop()?.start();
      }
      state = 'done';
    };
  }
}
