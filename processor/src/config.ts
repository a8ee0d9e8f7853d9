import os from 'node:os';
import path from 'node:path';
import { ConfigError, configProblems, envFlag, envInt, envNumber, envText } from '@stop-motion/kit';
import { eventTimeZoneSchema } from '@stop-motion/protocol';
import { z } from 'zod';
import { DEFAULT_VAAPI_DEVICE, VIDEO_ENCODERS } from './args.js';
import type { HealthThresholds } from './health.js';
import type { RetentionConfig } from './retention.js';
import { DEFAULT_RENDER_SCHEDULING, RENDER_SCHEDULING } from './scheduling.js';
import { parseQuietHours } from './screen-sound.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

const bool = envFlag;
const int = envInt;
const optionalString = envText;

const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;

/** Half the cores (at least one) for x264, so mpv keeps a core to itself while a film renders. */
export function defaultRenderThreads(cpus = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / 2));
}

/** Host names and origins, comma separated. */
const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** DejaVu Sans covers Latin, Hebrew and Arabic in one file, which drawtext needs (it has no font fallback). */
export const DEFAULT_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const DEFAULT_FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

const urlWith = (pattern: RegExp, message: string) => optionalString.refine((v) => v === undefined || pattern.test(v), message);

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
  SCREEN_VOLUME: int(80, 0, 100),
  SCREEN_MUTE: bool(false),
  SCREEN_QUIET_HOURS: optionalString.refine((v) => v === undefined || parseQuietHours(v) !== null, {
    message: 'must be a daily window HH:MM-HH:MM in EVENT_TIMEZONE, e.g. 22:00-08:00',
  }),
  EVENT_NAME: z.string().max(120).default('Stop Motion Festival'),
  EVENT_TIMEZONE: eventTimeZoneSchema,
  TITLE_SECONDS: envNumber(4, 0, 30),
  TITLE_LOGO: optionalString,
  TITLE_FONT: optionalString,
  TITLE_FONT_BOLD: optionalString,
  RENDER_THREADS: int(defaultRenderThreads(), 1, 64),
  RENDER_PRESET: z.enum(X264_PRESETS).default('veryfast'),
  RENDER_CRF: int(20, 0, 51),
  RENDER_TIMEOUT_SECONDS: int(900, 5, 86_400),
  RENDER_NICE: int(10, 0, 19),
  RENDER_SCHEDULING: z.enum(RENDER_SCHEDULING).default(DEFAULT_RENDER_SCHEDULING),
  RENDER_PREVIEW: bool(true),
  RENDER_ENCODER: z.enum(['auto', ...VIDEO_ENCODERS]).default('auto'),
  RENDER_VAAPI_DEVICE: z.string().min(1).default(DEFAULT_VAAPI_DEVICE),
  TRACKS_DIR: optionalString,
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
  STATUS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 12, 'must be at least 12 characters'),
  /** `pre`: public films wait for an operator's approval before they go to S3 (review.ts). */
  MODERATION: z.enum(['post', 'pre']).default('post'),
  REVIEW_ON_SCREEN: bool(true),
  /** The operator's token of the control room and the review queue. */
  CONTROL_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  /** How long the render loop may go without a beat before the systemd watchdog is no longer fed. */
  WATCHDOG_LOOP_SECONDS: int(120, 1, 86_400),
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
  GALLERY_HEALTH_URL: urlWith(/^https?:\/\/\S+$/, 'must be an http(s) URL'),
  ALERT_WEBHOOK_URL: urlWith(/^https?:\/\/\S+$/, 'must be an http(s) URL'),
  CONTROL_PROBE_SECONDS: int(10, 1, 3600),
  CONTROL_PROBE_TIMEOUT_SECONDS: int(3, 1, 60),
  S3_ENDPOINT: urlWith(/^https?:\/\//, 'must be an http(s) URL'),
  S3_BUCKET: optionalString,
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool(false),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  REDIS_URL: urlWith(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * The processor's whole configuration: the environment's variables, the rules across
 * them, and the shape the code uses, in one schema. Relative paths resolve against `cwd`.
 */
export function configSchema(cwd: string) {
  return (
    envSchema
      // Rules across variables; they run even when other variables are bad, so every problem is listed at once.
      .superRefine(
        (e, ctx) => {
          const host = typeof e.PROCESSOR_HOST === 'string' && e.PROCESSOR_HOST.trim() !== '' ? e.PROCESSOR_HOST : '127.0.0.1';
          if (!isLoopbackHost(host) && e.STATUS_TOKEN === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['STATUS_TOKEN'],
              message: `is required when PROCESSOR_HOST (${host}) is not a loopback address`,
            });
          }
          if (e.MODERATION === 'pre' && e.CONTROL_TOKEN === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['CONTROL_TOKEN'],
              message: 'is required with MODERATION=pre (films wait for an operator)',
            });
          }
          if ((e.AWS_ACCESS_KEY_ID === undefined) !== (e.AWS_SECRET_ACCESS_KEY === undefined)) {
            ctx.addIssue({
              code: 'custom',
              path: ['AWS_SECRET_ACCESS_KEY'],
              message: 'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
            });
          }
        },
        { when: () => true },
      )
      .transform((e) => {
        const dataDir = path.resolve(cwd, e.PROCESSOR_DATA_DIR ?? './data/processor');
        const retention: RetentionConfig = {
          intervalMs: e.RETENTION_INTERVAL_SECONDS * 1000,
          inboxStaleMs: e.INBOX_STALE_HOURS * 3_600_000,
          quarantineMaxAgeMs: e.QUARANTINE_MAX_AGE_DAYS * 86_400_000,
          quarantineMaxBytes: e.QUARANTINE_MAX_MB * 1_048_576,
          filmsMaxAgeMs: e.FILMS_MAX_AGE_DAYS * 86_400_000,
          filmsMaxBytes: e.FILMS_MAX_MB * 1_048_576,
          minFreeBytes: e.DISK_MIN_FREE_MB * 1_048_576,
        };
        return {
          inboxDir: path.resolve(cwd, e.PROCESSOR_INBOX ?? path.join(dataDir, 'inbox')),
          dataDir,
          host: e.PROCESSOR_HOST,
          port: e.PROCESSOR_PORT,
          player: e.PLAYER,
          mpvSocket: e.MPV_SOCKET,
          mpvExtraArgs: e.MPV_EXTRA_ARGS ? e.MPV_EXTRA_ARGS.split(/\s+/).filter(Boolean) : [],
          mpvFullscreen: e.MPV_FULLSCREEN,
          /** Big-screen volume 0–100 and mute: all day, or during the daily quiet hours in the event's zone. */
          screenVolume: e.SCREEN_VOLUME,
          screenMute: e.SCREEN_MUTE,
          screenQuietHours: e.SCREEN_QUIET_HOURS ? parseQuietHours(e.SCREEN_QUIET_HOURS) : null,
          eventName: e.EVENT_NAME,
          /** The zone of the date on the title card. */
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
          /** idle: every ffmpeg in SCHED_IDLE (chrt), behind mpv; nice: RENDER_NICE only. */
          renderScheduling: e.RENDER_SCHEDULING,
          renderPreview: e.RENDER_PREVIEW,
          /** libx264, a hardware H.264 encoder, or auto (probed once, libx264 when none works). */
          renderEncoder: e.RENDER_ENCODER,
          renderVaapiDevice: e.RENDER_VAAPI_DEVICE,
          /** The event's soundtracks: tracks.json and the files it names. */
          tracksDir: path.resolve(cwd, e.TRACKS_DIR ?? path.join(dataDir, 'tracks')),
          maxOutputWidth: e.MAX_OUTPUT_WIDTH,
          maxOutputHeight: e.MAX_OUTPUT_HEIGHT,
          maxFrames: e.MAX_FRAMES,
          maxFramePixels: e.MAX_FRAME_PIXELS,
          maxFrameBytes: e.MAX_FRAME_BYTES,
          maxJpegScans: e.MAX_JPEG_SCANS,
          /**
           * Render time a package earns per frame (on top of RENDER_BASE_SECONDS); with RENDER_TIMEOUT_SECONDS
           * as the cap, this is the package's deadline, after which it is quarantined.
           */
          renderFrameBudgetMs: e.RENDER_FRAME_BUDGET_MS,
          /** Render time every package gets before its frames count. */
          renderBaseMs: e.RENDER_BASE_SECONDS * 1000,
          rescanMs: e.RESCAN_SECONDS * 1000,
          /** How long a package with DONE waits for files its manifest lists before it is quarantined. */
          packageGraceMs: e.PACKAGE_GRACE_SECONDS * 1000,
          retention,
          /** Cap of the backoff between upload attempts while S3 is away. */
          uploadRetryCapMs: e.UPLOAD_RETRY_MAX_SECONDS * 1000,
          playlistMax: e.PLAYLIST_MAX,
          /** How often the playlist and local films are compared with S3 (hidden, removed). */
          reconcileMs: e.RECONCILE_SECONDS * 1000,
          allowedHosts: list(e.PROCESSOR_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
          allowedOrigins: list(e.PROCESSOR_ALLOWED_ORIGINS),
          /** Deadline of a small S3 call, and the longest silence within an upload. */
          s3TimeoutMs: e.S3_TIMEOUT_SECONDS * 1000,
          /** Slowest upload rate waited for; a file's deadline grows with its size at this rate. */
          s3MinUploadBytesPerSecond: e.S3_MIN_UPLOAD_KBPS * 1024,
          statusToken: e.STATUS_TOKEN,
          moderation: e.MODERATION,
          /** With MODERATION=pre: whether films waiting for review play on the big screen. */
          reviewOnScreen: e.REVIEW_ON_SCREEN,
          controlToken: e.CONTROL_TOKEN,
          watchdogLoopMs: e.WATCHDOG_LOOP_SECONDS * 1000,
          control: {
            token: e.CONTROL_TOKEN,
            secretsDir: path.resolve(cwd, e.STATION_SECRETS_DIR),
            /** Null: reports are taken on the status server. */
            reportListen: e.REPORT_PORT >= 0 ? { host: e.REPORT_HOST, port: e.REPORT_PORT } : null,
            reportWindowMs: e.REPORT_WINDOW_SECONDS * 1000,
            thresholds: {
              silentMs: e.STATION_SILENT_SECONDS * 1000,
              diskWarnBytes: e.STATION_DISK_WARN_MB * 1_048_576,
              outboxWarnMs: e.STATION_OUTBOX_WARN_MINUTES * 60_000,
              uiDeadMs: e.STATION_UI_DEAD_SECONDS * 1000,
              clockWarnMs: e.STATION_CLOCK_WARN_SECONDS * 1000,
            } satisfies HealthThresholds,
            renderAlertMs: e.RENDER_ALERT_MINUTES * 60_000,
            galleryHealthUrl: e.GALLERY_HEALTH_URL,
            webhookUrl: e.ALERT_WEBHOOK_URL,
            probeMs: e.CONTROL_PROBE_SECONDS * 1000,
            probeTimeoutMs: e.CONTROL_PROBE_TIMEOUT_SECONDS * 1000,
          },
          /** Null when no bucket is configured: public films then stay local (logged at start). */
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
      })
  );
}

export type ProcessorConfig = z.output<ReturnType<typeof configSchema>>;
export type S3Config = NonNullable<ProcessorConfig['s3']>;

export { ConfigError };

/** Parses the environment once; every bad variable is listed in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ProcessorConfig {
  const parsed = configSchema(cwd).safeParse(env);
  if (!parsed.success) throw new ConfigError(configProblems(parsed.error));
  return parsed.data;
}
