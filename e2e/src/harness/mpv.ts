import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type ManagedProcess, spawnManaged, waitFor } from './process.js';
import { tempDir } from './tmp.js';

/** A small JSON IPC client for mpv's `--input-ipc-server` socket. */
export class MpvClient {
  private socket: net.Socket;
  private nextId = 1;
  private buffer = '';
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: Array<{ event: string; [k: string]: unknown }> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('mpv IPC socket closed'));
      this.pending.clear();
    });
    socket.on('error', () => {});
  }

  static connect(socketPath: string): Promise<MpvClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once('connect', () => resolve(new MpvClient(socket)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { request_id?: number; error?: string; data?: unknown; event?: string };
      if (msg.event) {
        this.events.push(msg as { event: string });
        if (this.events.length > 500) this.events.shift();
        continue;
      }
      const waiter = msg.request_id !== undefined ? this.pending.get(msg.request_id) : undefined;
      if (!waiter || msg.request_id === undefined) continue;
      this.pending.delete(msg.request_id);
      if (msg.error === 'success') waiter.resolve(msg.data);
      else waiter.reject(new Error(`mpv: ${msg.error}`));
    }
  }

  command(...args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ command: args, request_id: id })}\n`);
    });
  }

  getProperty<T = unknown>(name: string): Promise<T> {
    return this.command('get_property', name) as Promise<T>;
  }

  async playlist(): Promise<Array<{ filename: string; current?: boolean; playing?: boolean }>> {
    return this.getProperty('playlist');
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface MpvService {
  readonly socketPath: string;
  /** For `--vo=image`: where mpv writes the frames it shows. */
  readonly imageDir: string | null;
  client(): Promise<MpvClient>;
  kill(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
  pid(): number | undefined;
}

/** A headless mpv: idle, controlled over IPC, video to nowhere or to image files. */
export async function startMpv(opts: { vo?: 'null' | 'image'; extraArgs?: string[] } = {}): Promise<MpvService> {
  const dir = await tempDir('mpv');
  const socketPath = path.join(dir.path, 'mpv.sock');
  const imageDir = opts.vo === 'image' ? path.join(dir.path, 'frames') : null;
  const args = [
    '--idle=yes',
    `--input-ipc-server=${socketPath}`,
    '--no-config',
    '--no-terminal',
    '--ao=null',
    `--vo=${opts.vo ?? 'null'}`,
    ...(imageDir ? [`--vo-image-outdir=${imageDir}`, '--vo-image-format=png'] : []),
    ...(opts.extraArgs ?? []),
  ];
  const proc: ManagedProcess = spawnManaged({ name: 'mpv', command: 'mpv', args });
  await waitFor('mpv IPC socket', () => existsSync(socketPath), {
    failIf: () => (proc.running() ? undefined : `mpv exited: ${proc.output()}`),
  });
  return {
    socketPath,
    imageDir,
    client: () => MpvClient.connect(socketPath),
    running: () => proc.running(),
    pid: () => proc.child.pid,
    kill: () => proc.kill(),
    async stop() {
      await proc.stop();
      await dir.remove();
    },
  };
}
