/**
 * Capped exponential backoff, the one rule every retry loop of the festival uses:
 * `minMs · 2^attempt`, never above `maxMs`, spread by ±`jitter` so that stations
 * coming back together do not knock at the same instant. Pure, so the browser UI
 * uses it too (`@stop-motion/kit/backoff`).
 */
export interface BackoffOptions {
  /** The first delay (attempt 0). */
  minMs: number;
  /** The longest delay. */
  maxMs: number;
  /** Fraction of the delay to spread it by, 0 (none) to 1. */
  jitter?: number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = opts.minMs * 2 ** Math.min(Math.max(0, Math.floor(attempt)), 30);
  const capped = Math.min(opts.maxMs, exp);
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0));
  if (jitter === 0) return capped;
  const spread = capped * jitter * (2 * random() - 1);
  return Math.round(Math.max(0, Math.min(opts.maxMs, capped + spread)));
}
