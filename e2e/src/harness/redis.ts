import net from 'node:net';
import { freePort } from './ports.js';
import { type ManagedProcess, spawnManaged, waitFor } from './process.js';
import { tempDir } from './tmp.js';

export interface RedisService {
  readonly url: string;
  readonly port: number;
  /** Stops the server the way an operator would; its data stays for `start`. */
  stop(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `stop` or `kill`). */
  start(): Promise<void>;
  running(): boolean;
}

/** Sends one inline command and resolves with the first reply line. */
export function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error('redis did not answer'));
    });
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.split('\r\n')[0] ?? '');
      }
    });
    socket.once('error', reject);
  });
}

/** A real redis-server on a free loopback port, with no persistence. */
export async function startRedis(opts: { port?: number } = {}): Promise<RedisService> {
  const dir = await tempDir('redis');
  const port = opts.port ?? (await freePort());
  let proc: ManagedProcess | undefined;
  const start = async () => {
    const p = spawnManaged({
      name: 'redis-server',
      command: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir.path,
        '--protected-mode',
        'yes',
      ],
    });
    proc = p;
    await waitFor(`redis-server on port ${port}`, async () => (await redisCommand(port, 'PING')) === '+PONG', {
      failIf: () => (p.running() ? undefined : `redis-server exited: ${p.output()}`),
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    running: () => proc?.running() ?? false,
    async stop() {
      await proc?.stop();
    },
    async close() {
      await proc?.stop();
      await dir.remove();
    },
    async kill() {
      await proc?.kill();
    },
  };
}
