import os from 'node:os';
import path from 'node:path';
import { eventTimeZoneSchema } from '@stop-motion/protocol';
import { z } from 'zod';
import type { HealthThresholds } from './health.js';
import type { RetentionConfig } from './retention.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;

/** Half the cores (at least one) for x264, so mpv keeps a core to itself while a film renders. */
export function defaultRenderThreads(cpus = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / 2));
}

const envSchema = z.object({
  PROCESSOR_INBOX: optionalString,
  PROCESSOR_DATA_DIR: optionalString,
  PROCESSOR_HOST: z.string().min(1).default('127.0.0.1'),
  PROCESSOR_PORT: int(8760, 0, 65535),
  PLAYER: z.enum(['mpv', 'none']).default('none'),
  MPV_SOCKET: optionalString,
  /** Extra mpv arguments, whitespace separated (tests pass `--vo=null --ao=null`). */
  MPV_EXTRA_ARGS: optionalString,
  MPV_FULLSCREEN: bool(true),
  EVENT_NAME: z.string().max(120).default('Stop Motion Festival'),
  EVENT_TIMEZONE: eventTimeZoneSchema,
  TITLE_SECONDS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 4;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 30) {
        ctx.addIssue({ code: 'custom', message: 'must be a number of seconds from 0 to 30' });
        return z.NEVER;
      }
      return n;
    }),
  TITLE_LOGO: optionalString,
  TITLE_FONT: optionalString,
  TITLE_FONT_BOLD: optionalString,
  RENDER_THREADS: int(defaultRenderThreads(), 1, 64),
  RENDER_PRESET: z.enum(X264_PRESETS).default('veryfast'),
  RENDER_CRF: int(20, 0, 51),
  RENDER_TIMEOUT_SECONDS: int(900, 5, 86_400),
  RENDER_NICE: int(10, 0, 19),
  RENDER_PREVIEW: bool(true),
  MAX_OUTPUT_WIDTH: int(1920, 64, 4096),
  MAX_OUTPUT_HEIGHT: int(1080, 64, 4096),
  MAX_FRAMES: int(3000, 1, 10_000),
  MAX_FRAME_PIXELS: int(4096 * 4096, 64 * 64, 8192 * 8192),
  MAX_FRAME_BYTES: int(25 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  MAX_JPEG_SCANS: int(100, 1, 1_000_000),
  RENDER_BASE_SECONDS: int(60, 1, 86_400),
  RENDER_FRAME_BUDGET_MS: int(1000, 1, 600_000),
  RESCAN_SECONDS: int(5, 1, 3600),
  PACKAGE_GRACE_SECONDS: int(300, 0, 86_400),
  RETENTION_INTERVAL_SECONDS: int(600, 1, 86_400),
  INBOX_STALE_HOURS: int(48, 0, 100_000),
  QUARANTINE_MAX_AGE_DAYS: int(14, 0, 100_000),
  QUARANTINE_MAX_MB: int(2048, 0, 100_000_000),
  FILMS_MAX_AGE_DAYS: int(0, 0, 100_000),
  FILMS_MAX_MB: int(20_480, 0, 100_000_000),
  DISK_MIN_FREE_MB: int(1024, 0, 100_000_000),
  UPLOAD_RETRY_MAX_SECONDS: int(60, 1, 3600),
  S3_TIMEOUT_SECONDS: int(30, 1, 600),
  S3_MIN_UPLOAD_KBPS: int(64, 1, 1_000_000),
  PLAYLIST_MAX: int(200, 1, 10_000),
  RECONCILE_SECONDS: int(60, 1, 86_400),
  /** Host names (besides loopback and IP addresses) the status API answers to, comma separated. */
  PROCESSOR_ALLOWED_HOSTS: optionalString,
  /** Origins (scheme://host[:port]) allowed to POST besides the API's own, comma separated. */
  PROCESSOR_ALLOWED_ORIGINS: optionalString,
  STATUS_TOKEN: optionalString,
  /** The control room's token (the page, `/api/stations`, its actions); unset = the control room is off. */
  CONTROL_TOKEN: optionalString,
  /** Where each station's delivery secret is (`<id>.secret`), which also signs its status reports. */
  STATION_SECRETS_DIR: z.string().min(1).default('/etc/stop-motion/stations'),
  /** A listener of its own for station reports (on the LAN); unset = reports go to the status server. */
  REPORT_HOST: z.string().min(1).default('0.0.0.0'),
  REPORT_PORT: int(-1, -1, 65535),
  REPORT_WINDOW_SECONDS: int(60, 5, 3600),
  STATION_SILENT_SECONDS: int(20, 2, 86_400),
  STATION_DISK_WARN_MB: int(500, 0, 10_000_000),
  STATION_OUTBOX_WARN_MINUTES: int(10, 1, 10_080),
  STATION_UI_DEAD_SECONDS: int(30, 2, 86_400),
  STATION_CLOCK_WARN_SECONDS: int(120, 1, 86_400),
  RENDER_ALERT_MINUTES: int(60, 1, 10_080),
  GALLERY_HEALTH_URL: optionalString,
  ALERT_WEBHOOK_URL: optionalString,
  CONTROL_PROBE_SECONDS: int(10, 1, 3600),
  CONTROL_PROBE_TIMEOUT_SECONDS: int(3, 1, 60),
  S3_ENDPOINT: optionalString,
  S3_BUCKET: optionalString,
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool(false),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Rules across variables, checked on the raw values so they are reported alongside the per-variable ones. */
function crossCheck(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const set = (name: string) => {
    const v = env[name];
    return v !== undefined && v.trim() !== '' ? v : undefined;
  };
  const host = set('PROCESSOR_HOST') ?? '127.0.0.1';
  const token = set('STATUS_TOKEN');
  if (!isLoopbackHost(host) && !token) problems.push(`STATUS_TOKEN: is required when PROCESSOR_HOST (${host}) is not a loopback address`);
  if (token !== undefined && token.length < 12) problems.push('STATUS_TOKEN: must be at least 12 characters');
  const control = set('CONTROL_TOKEN');
  if (control !== undefined && control.length < 16) problems.push('CONTROL_TOKEN: must be at least 16 characters');
  for (const name of ['GALLERY_HEALTH_URL', 'ALERT_WEBHOOK_URL']) {
    const v = set(name);
    if (v !== undefined && !/^https?:\/\/[^\s]+$/.test(v)) problems.push(`${name}: must be an http(s) URL`);
  }
  const redis = set('REDIS_URL');
  if (redis !== undefined && !/^rediss?:\/\//.test(redis)) problems.push('REDIS_URL: must start with redis:// or rediss://');
  const endpoint = set('S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) problems.push('S3_ENDPOINT: must be an http(s) URL');
  if ((set('AWS_ACCESS_KEY_ID') === undefined) !== (set('AWS_SECRET_ACCESS_KEY') === undefined)) {
    problems.push('AWS_SECRET_ACCESS_KEY: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither');
  }
  return problems;
}

export interface S3Config {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
}

export interface ProcessorConfig {
  inboxDir: string;
  dataDir: string;
  host: string;
  port: number;
  player: 'mpv' | 'none';
  mpvSocket: string | undefined;
  mpvExtraArgs: string[];
  mpvFullscreen: boolean;
  eventName: string;
  /** The zone of the date on the title card. */
  eventTimeZone: string;
  titleSeconds: number;
  titleLogo: string | undefined;
  fontFile: string;
  fontFileBold: string;
  renderThreads: number;
  renderPreset: (typeof X264_PRESETS)[number];
  renderCrf: number;
  renderTimeoutMs: number;
  renderNice: number;
  renderPreview: boolean;
  maxOutputWidth: number;
  maxOutputHeight: number;
  maxFrames: number;
  maxFramePixels: number;
  maxFrameBytes: number;
  maxJpegScans: number;
  /**
   * Render time a package earns per frame (on top of RENDER_BASE_SECONDS); with RENDER_TIMEOUT_SECONDS
   * as the cap, this is the package's deadline, after which it is quarantined.
   */
  renderFrameBudgetMs: number;
  /** Render time every package gets before its frames count. */
  renderBaseMs: number;
  rescanMs: number;
  retention: RetentionConfig;
  /** How long a package with DONE waits for files its manifest lists before it is quarantined. */
  packageGraceMs: number;
  /** Cap of the backoff between upload attempts while S3 is away. */
  uploadRetryCapMs: number;
  playlistMax: number;
  /** How often the playlist and local films are compared with S3 (hidden, removed). */
  reconcileMs: number;
  allowedHosts: string[];
  allowedOrigins: string[];
  statusToken: string | undefined;
  control: {
    token: string | undefined;
    secretsDir: string;
    /** Null: reports are taken on the status server. */
    reportListen: { host: string; port: number } | null;
    reportWindowMs: number;
    thresholds: HealthThresholds;
    renderAlertMs: number;
    galleryHealthUrl: string | undefined;
    webhookUrl: string | undefined;
    probeMs: number;
    probeTimeoutMs: number;
  };
  /** Deadline of a small S3 call, and the longest silence within an upload. */
  s3TimeoutMs: number;
  /** Slowest upload rate waited for; a file's deadline grows with its size at this rate. */
  s3MinUploadBytesPerSecond: number;
  /** Null when no bucket is configured: public films then stay local (logged at start). */
  s3: S3Config | null;
  redisUrl: string | undefined;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** DejaVu Sans covers Latin, Hebrew and Arabic in one file, which drawtext needs (it has no font fallback). */
export const DEFAULT_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const DEFAULT_FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** Parses the environment once; every bad variable is listed in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ProcessorConfig {
  const parsed = envSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`)),
    ...crossCheck(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.PROCESSOR_DATA_DIR ?? './data/processor');
  return {
    inboxDir: path.resolve(cwd, e.PROCESSOR_INBOX ?? path.join(dataDir, 'inbox')),
    dataDir,
    host: e.PROCESSOR_HOST,
    port: e.PROCESSOR_PORT,
    player: e.PLAYER,
    mpvSocket: e.MPV_SOCKET,
    mpvExtraArgs: e.MPV_EXTRA_ARGS ? e.MPV_EXTRA_ARGS.split(/\s+/).filter(Boolean) : [],
    mpvFullscreen: e.MPV_FULLSCREEN,
    eventName: e.EVENT_NAME,
    eventTimeZone: e.EVENT_TIMEZONE,
    titleSeconds: e.TITLE_SECONDS,
    titleLogo: e.TITLE_LOGO ? path.resolve(cwd, e.TITLE_LOGO) : undefined,
    fontFile: e.TITLE_FONT ?? DEFAULT_FONT,
    fontFileBold: e.TITLE_FONT_BOLD ?? e.TITLE_FONT ?? DEFAULT_FONT_BOLD,
    renderThreads: e.RENDER_THREADS,
    renderPreset: e.RENDER_PRESET,
    renderCrf: e.RENDER_CRF,
    renderTimeoutMs: e.RENDER_TIMEOUT_SECONDS * 1000,
    renderNice: e.RENDER_NICE,
    renderPreview: e.RENDER_PREVIEW,
    maxOutputWidth: e.MAX_OUTPUT_WIDTH,
    maxOutputHeight: e.MAX_OUTPUT_HEIGHT,
    maxFrames: e.MAX_FRAMES,
    maxFramePixels: e.MAX_FRAME_PIXELS,
    maxFrameBytes: e.MAX_FRAME_BYTES,
    maxJpegScans: e.MAX_JPEG_SCANS,
    renderFrameBudgetMs: e.RENDER_FRAME_BUDGET_MS,
    renderBaseMs: e.RENDER_BASE_SECONDS * 1000,
    rescanMs: e.RESCAN_SECONDS * 1000,
    packageGraceMs: e.PACKAGE_GRACE_SECONDS * 1000,
    retention: {
      intervalMs: e.RETENTION_INTERVAL_SECONDS * 1000,
      inboxStaleMs: e.INBOX_STALE_HOURS * 3_600_000,
      quarantineMaxAgeMs: e.QUARANTINE_MAX_AGE_DAYS * 86_400_000,
      quarantineMaxBytes: e.QUARANTINE_MAX_MB * 1_048_576,
      filmsMaxAgeMs: e.FILMS_MAX_AGE_DAYS * 86_400_000,
      filmsMaxBytes: e.FILMS_MAX_MB * 1_048_576,
      minFreeBytes: e.DISK_MIN_FREE_MB * 1_048_576,
    },
    uploadRetryCapMs: e.UPLOAD_RETRY_MAX_SECONDS * 1000,
    playlistMax: e.PLAYLIST_MAX,
    reconcileMs: e.RECONCILE_SECONDS * 1000,
    allowedHosts: list(e.PROCESSOR_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
    allowedOrigins: list(e.PROCESSOR_ALLOWED_ORIGINS),
    s3TimeoutMs: e.S3_TIMEOUT_SECONDS * 1000,
    s3MinUploadBytesPerSecond: e.S3_MIN_UPLOAD_KBPS * 1024,
    statusToken: e.STATUS_TOKEN,
    control: {
      token: e.CONTROL_TOKEN,
      secretsDir: path.resolve(cwd, e.STATION_SECRETS_DIR),
      reportListen: e.REPORT_PORT >= 0 ? { host: e.REPORT_HOST, port: e.REPORT_PORT } : null,
      reportWindowMs: e.REPORT_WINDOW_SECONDS * 1000,
      thresholds: {
        silentMs: e.STATION_SILENT_SECONDS * 1000,
        diskWarnBytes: e.STATION_DISK_WARN_MB * 1_048_576,
        outboxWarnMs: e.STATION_OUTBOX_WARN_MINUTES * 60_000,
        uiDeadMs: e.STATION_UI_DEAD_SECONDS * 1000,
        clockWarnMs: e.STATION_CLOCK_WARN_SECONDS * 1000,
      },
      renderAlertMs: e.RENDER_ALERT_MINUTES * 60_000,
      galleryHealthUrl: e.GALLERY_HEALTH_URL,
      webhookUrl: e.ALERT_WEBHOOK_URL,
      probeMs: e.CONTROL_PROBE_SECONDS * 1000,
      probeTimeoutMs: e.CONTROL_PROBE_TIMEOUT_SECONDS * 1000,
    },
    s3: e.S3_BUCKET
      ? {
          endpoint: e.S3_ENDPOINT,
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          accessKeyId: e.AWS_ACCESS_KEY_ID,
          secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
        }
      : null,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
  };
}
