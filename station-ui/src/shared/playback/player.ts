import { PlaybackClock } from './scheduler.js';

const RETRY_MS = 500;

export interface PlayerOptions {
  /** How many frames are decoded ahead of the one on screen. */
  ahead?: number;
  /** Called after each frame is drawn, with the loop index and the rAF timestamp (benchmarks, tests). */
  onPaint?: (index: number, at: number) => void;
}

/**
 * Plays a list of frame URLs in a loop on a canvas. Frames are decoded ahead with
 * createImageBitmap and closed as soon as they leave the screen, so memory stays
 * flat however long it loops.
 */
export class FramePlayer {
  private readonly clock: PlaybackClock;
  private readonly bitmaps = new Map<number, ImageBitmap>();
  private readonly loading = new Set<number>();
  /** When each frame last failed to load: retried after a pause, not on every animation frame. */
  private readonly failedAt = new Map<number, number>();
  private readonly ahead: number;
  private raf = 0;
  private stopped = false;
  private onScreen: number | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly urls: readonly string[],
    fps: number,
    private readonly opts: PlayerOptions = {},
  ) {
    this.clock = new PlaybackClock(urls.length, fps);
    this.ahead = Math.max(2, opts.ahead ?? 6);
  }

  start(): void {
    this.prefetch();
    const loop = (now: number) => {
      if (this.stopped) return;
      const abs = this.clock.tick(now, (i) => this.bitmaps.has(i));
      if (abs !== null) this.show(this.clock.indexOf(abs), now);
      this.prefetch();
      this.raf = requestAnimationFrame(loop);
    };
    this.raf = requestAnimationFrame(loop);
  }

  stop(): void {
    this.stopped = true;
    cancelAnimationFrame(this.raf);
    for (const b of this.bitmaps.values()) b.close();
    this.bitmaps.clear();
  }

  private show(index: number, now: number): void {
    const bitmap = this.bitmaps.get(index);
    if (!bitmap) return;
    const c = this.canvas;
    if (c.width !== bitmap.width || c.height !== bitmap.height) {
      c.width = bitmap.width;
      c.height = bitmap.height;
    }
    c.getContext('2d')?.drawImage(bitmap, 0, 0);
    // The frame that was on screen is not needed until the next loop.
    const previous = this.onScreen;
    this.onScreen = index;
    if (previous !== null && previous !== index && this.urls.length > this.ahead + 1) {
      this.bitmaps.get(previous)?.close();
      this.bitmaps.delete(previous);
    }
    c.dataset.index = String(index);
    this.opts.onPaint?.(index, now);
  }

  private prefetch(): void {
    for (const index of this.clock.wanted(this.ahead)) {
      if (this.bitmaps.has(index) || this.loading.has(index)) continue;
      if (performance.now() - (this.failedAt.get(index) ?? Number.NEGATIVE_INFINITY) < RETRY_MS) continue;
      this.loading.add(index);
      void this.decode(index);
    }
  }

  private async decode(index: number): Promise<void> {
    try {
      const url = this.urls[index];
      if (url === undefined) return;
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const bitmap = await createImageBitmap(await res.blob());
      if (this.stopped) bitmap.close();
      else this.bitmaps.set(index, bitmap);
      this.failedAt.delete(index);
    } catch {
      this.failedAt.set(index, performance.now());
    } finally {
      this.loading.delete(index);
    }
  }
}
