import { backoffMs } from '@stop-motion/kit/backoff';
import { LIVE_PATH } from '@stop-motion/protocol';
import { RECONNECT_BACKOFF, socketUrl } from './client.js';

export interface LiveStats {
  received: number;
  drawn: number;
  dropped: number;
}

/**
 * Live view: binary JPEG messages, latest frame wins. While one frame decodes,
 * newer ones replace each other; nothing queues, so a slow Pi shows fewer frames
 * instead of falling behind.
 */
export class LiveView {
  private socket: WebSocket | null = null;
  private latest: Blob | null = null;
  private decoding = false;
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  readonly stats: LiveStats = { received: 0, drawn: 0, dropped: 0 };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly url = socketUrl(LIVE_PATH),
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close();
    }
    this.latest = null;
  }

  private open(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.url);
    socket.binaryType = 'blob';
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (!(ev.data instanceof Blob)) return;
      this.stats.received++;
      if (this.latest) this.stats.dropped++;
      this.latest = ev.data;
      this.pump();
    };
    socket.onclose = () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.open();
        },
        backoffMs(this.attempt++, RECONNECT_BACKOFF),
      );
    };
  }

  private pump(): void {
    if (this.decoding || !this.latest) return;
    const blob = this.latest;
    this.latest = null;
    this.decoding = true;
    createImageBitmap(blob)
      .then((bitmap) => {
        if (!this.stopped) this.draw(bitmap);
        bitmap.close();
      })
      .catch(() => {
        // A broken frame is skipped; the next one replaces it.
      })
      .finally(() => {
        this.decoding = false;
        if (!this.stopped) this.pump();
      });
  }

  private draw(bitmap: ImageBitmap): void {
    const c = this.canvas;
    if (c.width !== bitmap.width || c.height !== bitmap.height) {
      c.width = bitmap.width;
      c.height = bitmap.height;
    }
    c.getContext('2d')?.drawImage(bitmap, 0, 0);
    this.stats.drawn++;
    c.dataset.frames = String(this.stats.drawn);
  }
}
