import net from 'node:net';

/** What an mpv request waits for its answer before it fails; mpv answers within milliseconds unless it is stuck. */
export const MPV_REQUEST_TIMEOUT_MS = 3000;

export type MpvEvent = { event: string } & Record<string, unknown>;

/**
 * A JSON-IPC client for mpv's `--input-ipc-server` socket: one request per line with a
 * `request_id`, answers matched by it, events passed on; every request has a deadline,
 * and a closed socket fails every request still waiting.
 */
export class MpvIpc {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly onEvent: (e: MpvEvent) => void,
    onClose: (ipc: MpvIpc) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error('mpv IPC closed'));
      }
      this.pending.clear();
      onClose(this);
    });
  }

  static connect(path: string, onEvent: (e: MpvEvent) => void, onClose: (ipc: MpvIpc) => void): Promise<MpvIpc> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new MpvIpc(socket, onEvent, onClose));
      });
      socket.once('error', reject);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof msg.event === 'string') {
        this.onEvent(msg as MpvEvent);
        continue;
      }
      const id = msg.request_id;
      if (typeof id !== 'number') continue;
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      this.pending.delete(id);
      clearTimeout(waiter.timer);
      if (msg.error === 'success') waiter.resolve(msg.data);
      else waiter.reject(new Error(`mpv: ${String(msg.error)}`));
    }
  }

  command(...args: unknown[]): Promise<unknown> {
    return this.request(args, MPV_REQUEST_TIMEOUT_MS);
  }

  /** One request with its own deadline. */
  request(args: readonly unknown[], timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('mpv IPC closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`mpv did not answer ${String(args[0])} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ command: args, request_id: id })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
