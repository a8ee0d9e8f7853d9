import { createHash } from 'node:crypto';
import { tempDir, waitFor } from '@stop-motion/e2e';
import { type ServerMessage, type StationEvent, serverMessageSchema } from '@stop-motion/protocol';
import pino from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { type RunningStation, type StartOptions, startStation } from '../src/index.js';

export const silent = pino({ level: 'silent' });

export interface TestStation extends RunningStation {
  dataDir: string;
  remove(): Promise<void>;
}

/** A real station on a free port with the test camera (small and fast) and its own data dir. */
export async function startTestStation(
  env: Record<string, string> = {},
  opts: Omit<StartOptions, 'env' | 'config'> = {},
): Promise<TestStation> {
  const dir = env.STATION_DATA_DIR ? undefined : await tempDir('station');
  const dataDir = env.STATION_DATA_DIR ?? (dir?.path as string);
  const loaded = loadConfig({
    STATION_ID: 'test-station',
    STATION_PORT: '0',
    STATION_DATA_DIR: dataDir,
    CAMERA: 'test',
    CAMERA_WIDTH: '320',
    CAMERA_HEIGHT: '240',
    CAMERA_FPS: '30',
    BUTTONS: 'sim',
    CAPTURE_LOCKOUT_MS: '0',
    DISK_MIN_FREE_MB: '0',
    DISK_CLEANUP_FREE_MB: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const running = await startStation({ config: loaded.config, log: silent, ...opts });
  return {
    ...running,
    dataDir,
    async remove() {
      await running.close();
      await dir?.remove();
    },
  };
}

export const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A control-socket client that validates everything it receives. */
export class ControlClient {
  readonly messages: ServerMessage[] = [];
  readonly invalid: unknown[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('close', () => {
      this.closed = true;
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const json = JSON.parse(data.toString());
      const parsed = serverMessageSchema.safeParse(json);
      if (parsed.success) this.messages.push(parsed.data);
      else this.invalid.push(json);
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<ControlClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
    const client = new ControlClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await waitFor('snapshot', () => client.messages.some((m) => m.type === 'snapshot'));
    return client;
  }

  snapshot() {
    const snaps = this.messages.filter((m) => m.type === 'snapshot');
    const last = snaps.at(-1);
    if (last?.type !== 'snapshot') throw new Error('no snapshot');
    return last.state;
  }

  events(name?: StationEvent['name']): StationEvent[] {
    return this.messages.filter((m): m is StationEvent => m.type === 'event' && (name === undefined || m.name === name));
  }

  async waitEvent<N extends StationEvent['name']>(name: N, after = 0): Promise<Extract<StationEvent, { name: N }>> {
    return waitFor(`event ${name}`, () => this.events(name).slice(after)[0] as Extract<StationEvent, { name: N }> | undefined);
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  async request(method: string, params?: unknown): Promise<Extract<ServerMessage, { type: 'reply' }>> {
    const id = `r${this.nextId++}`;
    this.ws.send(JSON.stringify({ type: 'request', id, method, ...(params === undefined ? {} : { params }) }));
    return this.waitReply(id);
  }

  async waitReply(id: string | number | null, after = 0): Promise<Extract<ServerMessage, { type: 'reply' }>> {
    return waitFor(
      `reply ${id}`,
      () => this.messages.filter((m): m is Extract<ServerMessage, { type: 'reply' }> => m.type === 'reply' && m.id === id).slice(after)[0],
      { failIf: () => (this.closed ? 'the socket closed' : undefined), intervalMs: 5 },
    );
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Connects to /live and keeps the hash of every frame received. */
export async function liveClient(url: string): Promise<{ hashes: Set<string>; count(): number; ws: WebSocket; close(): void }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/live`);
  const hashes = new Set<string>();
  let count = 0;
  ws.on('message', (data: Buffer) => {
    count++;
    hashes.add(sha(data));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { hashes, count: () => count, ws, close: () => ws.terminate() };
}

/** Resolves with the HTTP status a WebSocket upgrade got (101 when it opened). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}
