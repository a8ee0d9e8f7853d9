// The parts of the browser the control socket uses (WebSocket, timers), narrowed so tests hand in fakes, and the socket addresses.
import { CONTROL_PATH } from '@stop-motion/protocol';

/** The part of the browser WebSocket the client uses, so tests can pass a fake. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const SOCKET_OPEN = 1;

export const browserTimers: ClientTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as number),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as number),
};

export function browserSocket(url: string): SocketLike {
  return new WebSocket(url) as unknown as SocketLike;
}

/** ws:// or wss:// URL of a station path, relative to the page. */
export function socketUrl(path: string, location: { protocol: string; host: string } = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export const controlUrl = (): string => socketUrl(CONTROL_PATH);
