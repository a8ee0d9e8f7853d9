import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Stands in for systemd's side of sd_notify(3): a unix datagram socket bound at
 * NOTIFY_SOCKET, each datagram newline-separated VARIABLE=VALUE assignments (file
 * descriptors sent along, as with BARRIER=1, are closed unread, which releases the
 * sender's barrier as systemd does). Node has no unix datagram sockets; python3 does.
 */
const LISTENER = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data = s.recv(65536)
    for line in data.decode("utf-8", "replace").split("\\n"):
        if line:
            print("%.3f %s" % (time.monotonic(), line), flush=True)
`;

export interface NotifyMessage {
  /** Seconds on the listener's monotonic clock. */
  at: number;
  line: string;
}

export interface NotifySocket {
  path: string;
  messages: NotifyMessage[];
  /** Resolves with the messages once `pred` holds for them (checked on each new one). */
  waitFor(pred: (messages: NotifyMessage[]) => boolean, what: string, timeoutMs?: number): Promise<NotifyMessage[]>;
  close(): Promise<void>;
}

export async function startNotifySocket(dir: string): Promise<NotifySocket> {
  const socketPath = path.join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: NotifyMessage[] = [];
  const listeners = new Set<() => void>();
  let exited = false;
  child.on('exit', () => {
    exited = true;
    for (const l of listeners) l();
  });
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (text) => {
      if (text === 'listening') return resolve();
      const space = text.indexOf(' ');
      messages.push({ at: Number(text.slice(0, space)), line: text.slice(space + 1) });
      for (const l of listeners) l();
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`notify listener exited (${code})`)));
  });
  return {
    path: socketPath,
    messages,
    waitFor(pred, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(messages)) {
            cleanup();
            resolve([...messages]);
          } else if (exited) {
            cleanup();
            reject(new Error(`notify listener exited while waiting for ${what}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.line))}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async close() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
