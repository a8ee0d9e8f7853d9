// The claim screen's hold on the buttons after a film is finished, and the operator's gesture that ends it early.
import type { ButtonAction } from '@stop-motion/protocol';

/** The "next child" presses must come this close together. */
export const CLAIM_GESTURE_WINDOW_MS = 3000;

/** One button pressed `presses` times within the window (CLAIM_NEXT_GESTURE); null = no gesture. */
export type ClaimGesture = { action: ButtonAction; presses: number } | null;

export interface HeldClaim {
  movieId: string;
  endsAt: number;
}

export class ClaimScreen {
  private held: (HeldClaim & { gesture: number[] }) | null = null;

  constructor(private readonly gesture: ClaimGesture) {}

  /** Shows the claim screen of `movieId` for `seconds`. */
  begin(movieId: string, seconds: number, now = Date.now()): void {
    this.held = { movieId, endsAt: now + seconds * 1000, gesture: [] };
  }

  cancel(): void {
    this.held = null;
  }

  /** The claim screen showing now, or null once its time is over. */
  active(now = Date.now()): HeldClaim | null {
    if (this.held && now >= this.held.endsAt) this.held = null;
    return this.held ? { movieId: this.held.movieId, endsAt: this.held.endsAt } : null;
  }

  /**
   * A press while the claim screen may show: `free` when it does not, `held` when the
   * press is swallowed, `ended` when it completed the gesture and the screen is gone.
   */
  press(action: ButtonAction, now = Date.now()): 'free' | 'held' | 'ended' {
    if (!this.active(now) || !this.held) return 'free';
    const next = this.gesture;
    if (!next || action !== next.action) return 'held';
    this.held.gesture = [...this.held.gesture.filter((t) => now - t < CLAIM_GESTURE_WINDOW_MS), now];
    if (this.held.gesture.length < next.presses) return 'held';
    this.held = null;
    return 'ended';
  }
}
