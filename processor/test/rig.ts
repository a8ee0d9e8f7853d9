import { cp, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  type MpvService,
  type RedisService,
  type S3Counter,
  type S3Service,
  startMpv,
  startRedis,
  startS3,
  startS3Counter,
  type TempDir,
  tempDir,
  waitFor,
} from '@stop-motion/e2e';
import { FILMS_CHANNEL, type FilmNotice, filmNoticeSchema, movieKeys } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { type PackageOptions, writePackage } from './helpers.js';

/**
 * A processor with every peer real (s3rver behind a counting proxy, redis-server, an
 * mpv that outlives processor restarts), and the side effects of a film counted where
 * they happen: renders in the processor's log, PUTs at the S3 proxy, `loadfile`
 * commands in mpv's own log, notices on the Redis channel.
 */
export interface Rig {
  readonly dir: TempDir;
  readonly s3: S3Service;
  readonly counter: S3Counter;
  readonly logs: Array<Record<string, unknown>>;
  readonly notices: FilmNotice[];
  readonly mpv: MpvService;
  processor(): Processor;
  inbox(): string;
  filmFile(id: string): string;
  /** Closes the processor and starts a new one on the same data directory. */
  restart(): Promise<Processor>;
  close(): Promise<void>;
  /** Builds a package outside the inbox; `deliver` moves a copy in whole, as rsync does. */
  prepare(o: PackageOptions): Promise<string>;
  deliver(id: string): Promise<void>;
  /** Resolves once the inbox no longer holds `id` (the processor took it). */
  taken(id: string): Promise<void>;
  sideEffects(id: string): Promise<SideEffects>;
  /** Every key in the bucket. */
  bucketKeys(): Promise<string[]>;
  /** mpv's log lines for `loadfile` commands. */
  loadfiles(): Promise<string[]>;
}

export interface SideEffects {
  rendersStarted: number;
  putsVideo: number;
  putsPoster: number;
  putsMeta: number;
  loadfiles: number;
  filmAdded: number;
}

export async function startRig(name: string, env: Record<string, string> = {}): Promise<Rig> {
  const dir = await tempDir(name);
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    const s3 = await startS3();
    cleanup.push(() => s3.close());
    const counter = await startS3Counter({ endpoint: s3.endpoint, bucket: s3.bucket });
    cleanup.push(() => counter.close());
    const redis: RedisService = await startRedis();
    cleanup.push(() => redis.close());
    const notices: FilmNotice[] = [];
    const subscriber = new Redis(redis.url);
    cleanup.push(() => subscriber.disconnect());
    subscriber.on('message', (_channel: string, message: string) => notices.push(filmNoticeSchema.parse(JSON.parse(message))));
    await subscriber.subscribe(FILMS_CHANNEL);
    const mpvLog = path.join(dir.path, 'mpv.log');
    const mpv = await startMpv({ vo: 'null', extraArgs: [`--log-file=${mpvLog}`] });
    cleanup.push(() => mpv.stop());
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
    const config = loadConfig({
      ...s3.env(),
      S3_ENDPOINT: counter.endpoint,
      REDIS_URL: redis.url,
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_SOCKET: mpv.socketPath,
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RESCAN_SECONDS: '1',
      UPLOAD_RETRY_MAX_SECONDS: '1',
      ...env,
    });
    let p = await startProcessor(config, { logger });
    cleanup.push(() => p.close());
    const staged = path.join(dir.path, 'staged');
    await mkdir(staged, { recursive: true });
    let copies = 0;
    const filmFile = (id: string) => path.join(config.dataDir, 'films', id, 'movie.mp4');
    const loadfiles = async () =>
      (await readFile(mpvLog, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('Run command: loadfile,'));
    return {
      dir,
      s3,
      counter,
      logs,
      notices,
      mpv,
      processor: () => p,
      inbox: () => config.inboxDir,
      filmFile,
      async restart() {
        await p.close();
        p = await startProcessor(config, { logger });
        return p;
      },
      async close() {
        for (const c of cleanup.reverse()) await c();
        await dir.remove();
      },
      async prepare(o) {
        return (await writePackage(staged, o)).id;
      },
      async deliver(id) {
        // A whole copy appears at once, DONE included.
        const copy = path.join(dir.path, `.copy-${copies++}`);
        await cp(path.join(staged, id), copy, { recursive: true });
        await rename(copy, path.join(config.inboxDir, id));
      },
      async taken(id) {
        await waitFor(
          `${id} taken from the inbox`,
          async () =>
            readFile(path.join(config.inboxDir, id, 'DONE')).then(
              () => false,
              () => true,
            ),
          { timeoutMs: 60_000, intervalMs: 5 },
        );
      },
      async sideEffects(id) {
        const keys = movieKeys(id);
        const file = `url="${filmFile(id)}"`;
        return {
          rendersStarted: logs.filter((l) => l.event === 'render.started' && l.id === id).length,
          putsVideo: counter.puts(keys.video),
          putsPoster: counter.puts(keys.poster),
          putsMeta: counter.puts(keys.meta),
          loadfiles: (await loadfiles()).filter((l) => l.includes(file)).length,
          filmAdded: notices.filter((n) => n.type === 'film.added' && n.id === id).length,
        };
      },
      async bucketKeys() {
        const client = s3.client();
        const keys: string[] = [];
        let token: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, ContinuationToken: token }));
          for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
          token = page.NextContinuationToken;
        } while (token);
        return keys;
      },
      loadfiles,
    };
  } catch (err) {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
    await dir.remove();
    throw err;
  }
}
