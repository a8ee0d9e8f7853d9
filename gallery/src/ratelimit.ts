/**
 * A token bucket per key (client address): `capacity` actions at once, then one
 * every `refillMs`. In memory on purpose: a determined attacker spread across
 * instances gets N times the budget, which is still nothing against a 192-bit key.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `take` would succeed now, without spending anything. */
  available(key: string): boolean {
    const b = this.buckets.get(key);
    return !b || b.tokens + (this.now() - b.at) / this.refillMs >= 1;
  }

  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    const tokens = Math.min(this.capacity, b.tokens + (t - b.at) / this.refillMs);
    if (this.buckets.size > 10_000) this.sweep(t);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: t });
      return false;
    }
    this.buckets.set(key, { tokens: tokens - 1, at: t });
    return true;
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) / this.refillMs >= this.capacity) this.buckets.delete(k);
  }
}
