import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client as createServiceS3Client } from '@stop-motion/kit';
import { freeze, type ManagedProcess, spawnManaged, waitFor } from './process.js';
import { tempDir } from './tmp.js';

export interface S3Settings {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle?: boolean | undefined;
}

/** An S3 client for tests (kit's factory), with a deadline so a stopped server fails a test rather than hanging it. */
export function createS3Client(s: S3Settings): S3Client {
  return createServiceS3Client(
    { ...s, forcePathStyle: s.forcePathStyle ?? Boolean(s.endpoint) },
    { requestTimeoutMs: 30_000, maxAttempts: 3 },
  );
}

export interface S3Service extends Required<Omit<S3Settings, 'forcePathStyle'>> {
  readonly port: number;
  readonly directory: string;
  /** The shared configuration names (root README, "Configuration"), ready to hand to a service. */
  env(): Record<string, string>;
  client(): S3Client;
  /** Stops the server; objects stay for `start`. */
  stop(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
  kill(): Promise<void>;
  /**
   * SIGSTOP: the server keeps its socket open and the kernel still accepts connections,
   * but nothing answers (a half-dead uplink). `resume` sends SIGCONT; stop and close resume first.
   */
  pause(): Promise<void>;
  resume(): void;
  /** Starts it again on the same port and directory, keeping every object. */
  start(): Promise<void>;
  running(): boolean;
}

const childScript = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url));

/** s3rver in a child process, on a kernel-chosen port, with a fresh bucket that allows browser reads. */
export async function startS3(opts: { bucket?: string; directory?: string; port?: number; host?: string } = {}): Promise<S3Service> {
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.directory ? { path: opts.directory, remove: async () => {} } : await tempDir('s3');
  const bucket = opts.bucket ?? `test-${randomBytes(4).toString('hex')}`;
  let port = opts.port ?? 0;
  let proc: ManagedProcess | undefined;
  const start = async () => {
    let reported = 0;
    const p = spawnManaged({
      name: 's3rver',
      command: process.execPath,
      args: [childScript, dir.path, String(port), bucket, host],
      env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
      onLine: (line) => {
        const m = /^READY (\d+)$/.exec(line);
        if (m) reported = Number(m[1]);
      },
    });
    proc = p;
    port = await waitFor('s3rver to listen', () => reported || undefined, {
      failIf: () => (p.running() ? undefined : `s3rver exited: ${p.output()}`),
    });
  };
  await start();
  const settings = () => ({
    endpoint: `http://${host}:${port}`,
    region: 'us-east-1',
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  const s = settings();
  const resume = () => {
    if (proc?.running() && proc.child.pid) process.kill(proc.child.pid, 'SIGCONT');
  };
  return {
    ...s,
    get port() {
      return port;
    },
    directory: dir.path,
    env: () => ({
      S3_ENDPOINT: s.endpoint,
      S3_BUCKET: bucket,
      S3_REGION: s.region,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s.secretAccessKey,
    }),
    client: () => createS3Client({ ...settings(), forcePathStyle: true }),
    start,
    running: () => proc?.running() ?? false,
    async pause() {
      if (proc?.running() && proc.child.pid) await freeze(proc.child.pid);
    },
    resume,
    async stop() {
      resume();
      await proc?.stop();
    },
    async close() {
      resume();
      await proc?.stop();
      await dir.remove();
    },
    async kill() {
      await proc?.kill();
    },
  };
}
