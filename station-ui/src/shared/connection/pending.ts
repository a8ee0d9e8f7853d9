// Requests on the control socket waiting for their replies: ids, deadlines, and how each one ends.
import type { ClientMethod, ErrorCode } from '@stop-motion/protocol';
import type { ClientTimers } from './socket.js';

/** A request failed: a server error reply, a timeout or a lost connection. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'timeout' | 'offline' | 'disconnected' | 'invalid_reply',
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: RequestError) => void;
  timer: unknown;
  method: ClientMethod;
}

export class PendingRequests {
  private readonly waiting = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly timers: ClientTimers) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Sends a request with a fresh id; it ends with its reply, its deadline, or a failed send. */
  start<T>(method: ClientMethod, timeoutMs: number, send: (id: number) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.waiting.delete(id);
        reject(new RequestError('timeout', `${method} got no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, method });
      try {
        send(id);
      } catch (err) {
        this.timers.clearTimeout(timer);
        this.waiting.delete(id);
        reject(new RequestError('offline', err instanceof Error ? err.message : String(err)));
      }
    });
  }

  /** Ends the request `id` with `fn`; a reply to no waiting request is ignored. */
  settle(id: number, fn: (p: Pending) => void): void {
    const p = this.waiting.get(id);
    if (!p) return;
    this.waiting.delete(id);
    this.timers.clearTimeout(p.timer);
    fn(p);
  }

  /** Rejects every waiting request (the connection is gone). */
  failAll(code: 'disconnected', message: string): void {
    for (const [id, p] of this.waiting) {
      this.timers.clearTimeout(p.timer);
      this.waiting.delete(id);
      p.reject(new RequestError(code, `${p.method}: ${message}`));
    }
  }
}
