/**
 * Playback clock. Frames are scheduled by time (requestAnimationFrame timestamps),
 * not by counting ticks: frame k is due at `origin + k * interval`. When frame k is
 * not decoded yet, or the page was starved for longer than one frame, the clock
 * waits and re-anchors instead of skipping: every frame is shown, in order.
 */
/** A frame due within this much after a vsync goes on that vsync (timestamps carry float noise). */
const EARLY_SLACK_MS = 4;
/** Later than one display frame counts as late. */
const LATE_MS = 1000 / 60 + 1;

export class PlaybackClock {
  private origin: number | null = null;
  /** Absolute index of the frame on screen (grows past the loop length); -1 before the first. */
  private shown = -1;

  constructor(
    readonly frameCount: number,
    readonly fps: number,
  ) {
    if (frameCount < 1) throw new RangeError('nothing to play');
    if (!(fps > 0)) throw new RangeError('fps must be positive');
  }

  get interval(): number {
    return 1000 / this.fps;
  }

  /** The absolute index of the next frame to show. */
  get next(): number {
    return this.shown + 1;
  }

  /** The loop position of an absolute index. */
  indexOf(absolute: number): number {
    return absolute % this.frameCount;
  }

  /**
   * Called once per animation frame. Returns the absolute index to draw now, or
   * null to keep what is on screen. `ready(i)` says whether loop frame i is decoded.
   */
  tick(now: number, ready: (index: number) => boolean): number | null {
    const next = this.shown + 1;
    if (this.origin !== null && now + EARLY_SLACK_MS < this.origin + next * this.interval) return null;
    if (!ready(this.indexOf(next))) return null;
    if (this.origin === null) {
      this.origin = now;
    } else if (now - (this.origin + next * this.interval) > LATE_MS) {
      // Late (slow decode, starved page): show this frame now for its full time rather than skip or shorten.
      this.origin = now - next * this.interval;
    }
    this.shown = next;
    return next;
  }

  /** The absolute indices worth having decoded now, next first. */
  wanted(ahead: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < Math.min(ahead, this.frameCount); i++) out.push(this.indexOf(this.shown + 1 + i));
    return out;
  }
}
