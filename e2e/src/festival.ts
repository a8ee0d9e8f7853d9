import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type RedisService, startRedis } from './harness/redis.js';
import { type S3Service, startS3 } from './harness/s3.js';
import { type S3Counter, startS3Counter } from './harness/s3count.js';
import { portNear, repoRoot, type ServiceProcess, startService } from './services.js';

export interface FestivalOptions {
  /** Everything that must survive a restart lives under here. */
  dataDir: string;
  stations?: number;
  /** `mpv` shows the big screen in a window (or headless with `mpvArgs`); `none` plays nothing. */
  player?: 'mpv' | 'none';
  /** Extra mpv arguments, e.g. `--vo=null --ao=null` in tests. */
  mpvArgs?: string[];
  /** `auto` uses a real redis-server when one can be started, else the in-process cache. */
  redis?: 'auto' | 'on' | 'off';
  /** Preferred ports (the demo's stable URLs); tests leave them unset to get free ones. */
  ports?: { station?: number; processor?: number; gallery?: number; s3?: number; redis?: number };
  eventName?: string;
  /**
   * The address phones reach: the gallery and S3 listen there and the QR codes point
   * there. Stations and the processor stay on loopback. Default 127.0.0.1.
   */
  publicHost?: string;
  adminToken?: string;
  bucket?: string;
  logLevel?: string;
  extraEnv?: Partial<Record<'station' | 'processor' | 'gallery', Record<string, string>>>;
  /** The control room: stations report to the processor with secrets of their own, and `controlToken` opens `/control`. */
  control?: boolean;
  /** More environment for station n (1-based), given the processor's URL (its status reports go there). */
  stationEnv?: (n: number, processorUrl: string) => Record<string, string>;
  /** A tracks folder (tracks.json and audio) for the stations' picker and the processor's mix; none: silent films. */
  tracksDir?: string;
  onLine?: (label: string, line: string) => void;
  /** Puts a counting proxy between the processor and S3 (`Festival.s3Counter`). */
  countS3?: boolean;
}

export interface Festival {
  s3: S3Service;
  /** Every request the processor made to S3, when `countS3` was set. */
  s3Counter: S3Counter | null;
  redis: RedisService | null;
  processor: ServiceProcess;
  gallery: ServiceProcess;
  stations: ServiceProcess[];
  dataDir: string;
  inbox: string;
  /** The IPC socket of the mpv the processor starts for the big screen. */
  mpvSocket: string;
  adminToken: string;
  /** With `control`: the token of `${processor.url}/control`. */
  controlToken: string | null;
  stop(): Promise<void>;
}

const stationUiDir = path.join(repoRoot, 'station-ui', 'dist');

/** Builds the station UI when its build is missing or older than its sources. */
export function ensureStationUiBuilt(log: (msg: string) => void = () => {}): void {
  const index = path.join(stationUiDir, 'index.html');
  const newestSource = (dir: string): number => {
    let newest = 0;
    if (!existsSync(dir)) return 0;
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else newest = Math.max(newest, statSync(p).mtimeMs);
      }
    };
    walk(dir);
    return newest;
  };
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  if (built > 0 && built >= newestSource(path.join(repoRoot, 'station-ui', 'src'))) return;
  log('building the station UI (vite build)…');
  // The station UI's own Vite (vitest hoists another major version to the root).
  const vitePackage = createRequire(path.join(repoRoot, 'station-ui', 'package.json')).resolve('vite/package.json');
  const vite = path.join(path.dirname(vitePackage), 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: path.join(repoRoot, 'station-ui'),
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('the station UI did not build');
}

async function redisIfPossible(mode: FestivalOptions['redis'], port: number | undefined): Promise<RedisService | null> {
  if (mode === 'off') return null;
  try {
    return await startRedis(port !== undefined ? { port: await portNear(port) } : {});
  } catch (err) {
    if (mode === 'on') throw err;
    return null;
  }
}

/** The whole festival on one machine: S3, Redis, the processor, the gallery and the stations. */
export async function startFestival(opts: FestivalOptions): Promise<Festival> {
  const dataDir = path.resolve(opts.dataDir);
  const inbox = path.join(dataDir, 'processor', 'inbox');
  await mkdir(path.join(dataDir, 's3'), { recursive: true });
  await mkdir(inbox, { recursive: true });
  ensureStationUiBuilt();

  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
  };
  try {
    const publicHost = opts.publicHost ?? '127.0.0.1';
    const s3 = await startS3({
      host: publicHost,
      directory: path.join(dataDir, 's3'),
      bucket: opts.bucket ?? 'festival',
      ...(opts.ports?.s3 !== undefined ? { port: await portNear(opts.ports.s3) } : {}),
    });
    started.push(s3);
    const s3Counter = opts.countS3 ? await startS3Counter({ endpoint: s3.endpoint, bucket: s3.bucket }) : null;
    if (s3Counter) started.push({ stop: () => s3Counter.close() });
    const redis = await redisIfPossible(opts.redis ?? 'auto', opts.ports?.redis);
    if (redis) started.push({ stop: () => redis.close() });

    const adminToken = opts.adminToken ?? (await persistentSecret(path.join(dataDir, 'admin-token')));
    const shared: Record<string, string> = {
      ...s3.env(),
      LOG_LEVEL: opts.logLevel ?? 'info',
      ...(redis ? { REDIS_URL: redis.url } : {}),
    };

    const stationCount = opts.stations ?? 2;
    let controlToken: string | null = null;
    const reportSecrets: string[] = [];
    const controlEnv: Record<string, string> = {};
    if (opts.control) {
      const secretsDir = path.join(dataDir, 'control', 'secrets');
      await mkdir(secretsDir, { recursive: true });
      controlToken = await persistentSecret(path.join(dataDir, 'control', 'token'));
      for (let i = 1; i <= stationCount; i++) reportSecrets.push(await persistentSecret(path.join(secretsDir, `station-${i}.secret`)));
      Object.assign(controlEnv, { CONTROL_TOKEN: controlToken, STATION_SECRETS_DIR: secretsDir });
    }

    const galleryPort = await portNear(opts.ports?.gallery);
    const galleryUrl = `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${galleryPort}`;
    const gallery = await startService({
      service: 'gallery',
      label: 'gallery',
      port: galleryPort,
      host: publicHost,
      env: {
        ...shared,
        GALLERY_HOST: publicHost,
        GALLERY_PORT: String(galleryPort),
        GALLERY_PUBLIC_URL: galleryUrl,
        GALLERY_ADMIN_TOKEN: adminToken,
        REFRESH_SECONDS: '5',
        ...opts.extraEnv?.gallery,
      },
      ...(opts.onLine ? { onLine: opts.onLine } : {}),
    });
    started.push(gallery);

    const processorPort = await portNear(opts.ports?.processor);
    const processor = await startService({
      service: 'processor',
      label: 'processor',
      port: processorPort,
      env: {
        ...shared,
        PROCESSOR_HOST: '127.0.0.1',
        PROCESSOR_PORT: String(processorPort),
        PROCESSOR_INBOX: inbox,
        PROCESSOR_DATA_DIR: path.join(dataDir, 'processor'),
        ...(s3Counter ? { S3_ENDPOINT: s3Counter.endpoint } : {}),
        PLAYER: opts.player ?? 'none',
        ...(opts.mpvArgs ? { MPV_EXTRA_ARGS: opts.mpvArgs.join(' '), MPV_FULLSCREEN: 'false' } : {}),
        EVENT_NAME: opts.eventName ?? 'Stop Motion Festival',
        GALLERY_PUBLIC_URL: galleryUrl,
        GALLERY_HEALTH_URL: `${galleryUrl}/healthz`,
        ...controlEnv,
        ...(opts.tracksDir ? { TRACKS_DIR: opts.tracksDir } : {}),
        ...opts.extraEnv?.processor,
      },
      ...(opts.onLine ? { onLine: opts.onLine } : {}),
    });
    started.push(processor);

    const stations: ServiceProcess[] = [];
    for (let i = 1; i <= stationCount; i++) {
      const port = await portNear(opts.ports?.station !== undefined ? opts.ports.station + i - 1 : undefined);
      const station = await startService({
        service: 'station-server',
        label: `station-${i}`,
        port,
        env: {
          LOG_LEVEL: shared.LOG_LEVEL ?? 'info',
          STATION_ID: `station-${i}`,
          STATION_HOST: '127.0.0.1',
          STATION_PORT: String(port),
          STATION_DATA_DIR: path.join(dataDir, `station-${i}`),
          STATION_UI_DIR: stationUiDir,
          CAMERA: 'test',
          BUTTONS: 'sim',
          DELIVERY_TARGET: inbox,
          GALLERY_PUBLIC_URL: galleryUrl,
          ...(opts.control ? { PROCESSOR_REPORT_URL: `${processor.url}/api/report`, RSYNC_PASSWORD: reportSecrets[i - 1] ?? '' } : {}),
          ...(opts.tracksDir ? { TRACKS_DIR: opts.tracksDir } : {}),
          ...opts.extraEnv?.station,
          ...opts.stationEnv?.(i, processor.url),
        },
        ...(opts.onLine ? { onLine: opts.onLine } : {}),
      });
      stations.push(station);
      started.push(station);
    }

    return {
      s3,
      s3Counter,
      redis,
      processor,
      gallery,
      stations,
      dataDir,
      inbox,
      mpvSocket: path.join(dataDir, 'processor', 'mpv.sock'),
      adminToken,
      controlToken,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A random secret kept in `file`, so the demo's admin link stays the same across restarts. */
async function persistentSecret(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim().length >= 16) return existing.trim();
  const secret = randomBytes(16).toString('hex');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
