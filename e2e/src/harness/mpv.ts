import { existsSync } from 'node:fs';
import path from 'node:path';
import { type MpvEvent, MpvIpc } from '@stop-motion/kit';
import { type ManagedProcess, spawnManaged, waitFor } from './process.js';
import { tempDir } from './tmp.js';

/** The test side of mpv's IPC socket: kit's client (the processor's own), with the events it saw kept for assertions. */
export class MpvClient {
  private constructor(
    private readonly ipc: MpvIpc,
    readonly events: MpvEvent[],
  ) {}

  static async connect(socketPath: string): Promise<MpvClient> {
    const events: MpvEvent[] = [];
    const ipc = await MpvIpc.connect(
      socketPath,
      (e) => {
        events.push(e);
        if (events.length > 500) events.shift();
      },
      () => undefined,
    );
    return new MpvClient(ipc, events);
  }

  command(...args: unknown[]): Promise<unknown> {
    return this.ipc.command(...args);
  }

  getProperty<T = unknown>(name: string): Promise<T> {
    return this.command('get_property', name) as Promise<T>;
  }

  async playlist(): Promise<Array<{ filename: string; current?: boolean; playing?: boolean }>> {
    return this.getProperty('playlist');
  }

  close(): void {
    this.ipc.close();
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
