import { type BackoffOptions, backoffMs } from '@stop-motion/kit/backoff';
import {
  type ClientMethod,
  type ClientRequest,
  type ClientResults,
  clientResultSchemas,
  type Hello,
  type ServerMessage,
  STATION_PROTOCOL_VERSION,
  type StationEvent,
  type StationState,
  serverMessageSchema,
} from '@stop-motion/protocol';
import { PendingRequests, RequestError } from './pending.js';
import { browserSocket, browserTimers, type ClientTimers, SOCKET_OPEN, type SocketLike } from './socket.js';

export { RequestError } from './pending.js';
export { type ClientTimers, controlUrl, type SocketLike, socketUrl } from './socket.js';

/** Reconnects: 250 ms doubling to 5 s, ±20 %, forever (a kiosk has no keyboard to press "retry"). */
export const RECONNECT_BACKOFF: BackoffOptions = { minMs: 250, maxMs: 5000, jitter: 0.2 };
export type ConnectionStatus = 'connecting' | 'open' | 'closed';

type ParamsOf<M extends ClientMethod> = Extract<ClientRequest, { method: M }>['params'];

export interface StationClientOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  timers?: ClientTimers;
  backoff?: BackoffOptions;
  random?: () => number;
  requestTimeoutMs?: number;
  heartbeatMs?: number;
  onStatus?: (status: ConnectionStatus) => void;
  onHello?: (hello: Hello) => void;
  onSnapshot?: (state: StationState) => void;
  onEvent?: (event: StationEvent) => void;
  /** The server restarted since this page loaded (another serverStartId): the page should reload. */
  onServerRestart?: (hello: Hello) => void;
  /** A message that failed validation; logged, never fatal. */
  onInvalid?: (reason: string) => void;
}

/**
 * The control socket: hello → snapshot → events; typed requests with a pending map
 * and timeouts; reconnects with backoff forever; a heartbeat for the station's
 * kiosk watchdog.
 */
export class StationClient {
  private socket: SocketLike | null = null;
  private readonly pending: PendingRequests;
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private stopped = true;
  private serverStartId: string | null = null;
  private helloSeen = false;
  private _status: ConnectionStatus = 'closed';
  private readonly timers: ClientTimers;

  constructor(private readonly opts: StationClientOptions) {
    this.timers = opts.timers ?? browserTimers;
    this.pending = new PendingRequests(this.timers);
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'client stopped');
    }
    this.pending.failAll('disconnected', 'client stopped');
    this.setStatus('closed');
  }

  request<M extends ClientMethod>(
    method: M,
    params?: ParamsOf<M>,
    timeoutMs = this.opts.requestTimeoutMs ?? 10_000,
  ): Promise<ClientResults[M]> {
    const socket = this.socket;
    // Presses are not queued while offline: a capture fired seconds later would surprise a child.
    if (!socket || socket.readyState !== SOCKET_OPEN || !this.helloSeen) {
      return Promise.reject(new RequestError('offline', `not connected (${method})`));
    }
    return this.pending.start<ClientResults[M]>(method, timeoutMs, (id) =>
      socket.send(JSON.stringify({ type: 'request', id, method, params: params ?? {} })),
    );
  }

  private open(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    this.helloSeen = false;
    let socket: SocketLike;
    try {
      socket = (this.opts.createSocket ?? browserSocket)(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (ev) => this.onMessage(ev.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      this.pending.failAll('disconnected', 'connection lost');
      this.setStatus('closed');
      this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== null) return;
    const delay = backoffMs(this.attempt++, this.opts.backoff ?? RECONNECT_BACKOFF, this.opts.random);
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  private onMessage(raw: unknown): void {
    if (typeof raw !== 'string') {
      this.opts.onInvalid?.('binary message on the control socket');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.opts.onInvalid?.('control message is not JSON');
      return;
    }
    const parsed = serverMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.opts.onInvalid?.(`invalid control message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      // A reply we cannot parse must still release its pending request.
      const id = (json as { type?: unknown; id?: unknown } | null)?.type === 'reply' ? (json as { id?: unknown }).id : undefined;
      if (typeof id === 'number') this.pending.settle(id, (p) => p.reject(new RequestError('invalid_reply', 'the reply did not validate')));
      return;
    }
    this.handle(parsed.data);
  }

  private handle(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello': {
        if (msg.protocol !== STATION_PROTOCOL_VERSION)
          this.opts.onInvalid?.(`server speaks protocol ${msg.protocol}, UI ${STATION_PROTOCOL_VERSION}`);
        if (this.serverStartId !== null && this.serverStartId !== msg.serverStartId) {
          this.serverStartId = msg.serverStartId;
          this.opts.onServerRestart?.(msg);
        }
        this.serverStartId = msg.serverStartId;
        this.helloSeen = true;
        this.attempt = 0;
        this.setStatus('open');
        this.startHeartbeat();
        this.opts.onHello?.(msg);
        return;
      }
      case 'snapshot':
        this.opts.onSnapshot?.(msg.state);
        return;
      case 'event':
        this.opts.onEvent?.(msg);
        return;
      case 'reply': {
        if (typeof msg.id !== 'number') return;
        if (msg.ok)
          this.pending.settle(msg.id, (p) => {
            // Each method's answer has its schema: a reply of the wrong shape is refused here,
            // not discovered later as an undefined field on screen.
            const result = clientResultSchemas[p.method].safeParse(msg.data);
            if (result.success) p.resolve(result.data);
            else p.reject(new RequestError('invalid_reply', `${p.method}: the reply did not validate`));
          });
        else this.pending.settle(msg.id, (p) => p.reject(new RequestError(msg.error.code, msg.error.message)));
        return;
      }
      default:
        unreachable(msg);
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const beat = () => {
      this.request('ui.heartbeat', { at: Date.now() }).catch(() => undefined);
    };
    beat();
    this.heartbeatTimer = this.timers.setInterval(beat, this.opts.heartbeatMs ?? 5000);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) this.timers.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this._status === status) return;
    this._status = status;
    this.opts.onStatus?.(status);
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
