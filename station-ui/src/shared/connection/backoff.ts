export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1: share of the delay that is randomised so many kiosks do not reconnect in lock-step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 5000, jitter: 0.2 };

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped, jittered.
 * It never gives up: a kiosk has no keyboard to press "retry".
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = opts.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30);
  const capped = Math.min(opts.maxMs, exp);
  const spread = capped * opts.jitter;
  return Math.max(0, Math.round(capped - spread + random() * 2 * spread));
}
