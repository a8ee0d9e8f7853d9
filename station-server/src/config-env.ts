// The station's environment variables, one by one: each one's parser, range and default. Rules across variables and the shape the code uses are in config.ts.
import { envFlag, envInt, envNumber, envText, flag } from '@stop-motion/kit';
import { localeSchema, stationIdSchema } from '@stop-motion/protocol';
import { z } from 'zod';
import { DEFAULT_PINS, parseButtonPins, parseKeys } from './config-text.js';
import { LP_OPTION, QUEUE_NAME } from './printer/cups.js';

const bool = envFlag;
// Bounded numbers and blank-is-unset text: the parsers every service shares (kit).
const int = envInt;
const num = envNumber;
const optionalString = envText;

export const CAMERA_KINDS = ['rpicam', 'v4l2', 'test', 'replay'] as const;
export type CameraKind = (typeof CAMERA_KINDS)[number];

/** A variable whose text `parse` turns into a value, or into the reason it cannot. */
const parsed = <T>(parse: (text: string) => { ok: true; value: T } | { ok: false; reason: string }) =>
  z.string().transform((text, ctx) => {
    const r = parse(text);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  });

const pinList = parsed((text) => {
  const r = parseButtonPins(text);
  return r.ok ? { ok: true, value: r.pins } : r;
});

const keyMap = optionalString.pipe(
  parsed((text) => {
    const r = parseKeys(text, 'key');
    return r.ok ? { ok: true, value: r.keys } : r;
  }).optional(),
);

const gamepadMap = optionalString.pipe(
  parsed((text) => {
    const r = parseKeys(text, 'button number');
    if (!r.ok) return r;
    if (Object.keys(r.keys).some((k) => !/^\d{1,2}$/.test(k))) return { ok: false, reason: 'buttons are numbers, like "0:capture,1:undo"' };
    return { ok: true, value: r.keys };
  }).optional(),
);

/** `fit-to-page media=X80MMY200MM` → one `lp -o` each. */
const lpOptions = optionalString.pipe(
  parsed((text) => {
    const options = text.split(/\s+/).filter((o) => o !== '');
    const bad = options.find((o) => !LP_OPTION.test(o));
    return bad === undefined
      ? { ok: true, value: options }
      : { ok: false, reason: `"${bad.slice(0, 40)}" is not an lp -o option like fit-to-page or media=X (space-separated)` };
  }).optional(),
);

export const envSchema = z.object({
  STATION_ID: optionalString.pipe(stationIdSchema.optional()),
  STATION_HOST: z.string().min(1).default('127.0.0.1'),
  STATION_PORT: int(8750, 0, 65535),
  STATION_DATA_DIR: z.string().min(1).default('./data/station'),
  STATION_UI_DIR: optionalString,
  ALLOWED_ORIGINS: optionalString,
  ALLOWED_HOSTS: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  CAMERA: z.enum(CAMERA_KINDS).default('test'),
  CAMERA_WIDTH: int(1280, 16, 8192),
  CAMERA_HEIGHT: int(720, 16, 8192),
  CAMERA_FPS: int(30, 1, 120),
  CAMERA_DEVICE: z.string().min(1).default('/dev/video0'),
  CAMERA_SOURCE: optionalString,
  CAMERA_QUALITY: optionalString,
  CAMERA_STALL_MS: int(2000, 200, 60_000),
  CAMERA_LOCK: z.enum(['settle', 'fixed', 'auto']).default('settle'),
  CAMERA_SETTLE_MS: int(1500, 100, 30_000),
  CAMERA_SHUTTER_US: int(0, 0, 10_000_000),
  CAMERA_GAIN: num(undefined, 0, 64),
  CAMERA_AWB_GAINS: optionalString.pipe(
    z
      .string()
      .regex(/^\d+(\.\d+)?,\d+(\.\d+)?$/, 'must be like "1.5,1.8" (red,blue)')
      .optional(),
  ),
  CAMERA_LENS_POSITION: num(undefined, 0, 32),
  CAMERA_FLICKER_HZ: z.enum(['50', '60', 'off']).default('50'),
  CAMERA_COMMAND: optionalString,
  CAMERA_CONTROL_COMMAND: optionalString,
  CAPTURE_SETTLE_MS: int(-1, -1, 5000),

  // No default here: it depends on NODE_ENV (see buttonsDefault).
  BUTTONS: z.enum(['gpiomon', 'onoff', 'sim', 'none']).optional(),
  BUTTON_PINS: pinList.default([...DEFAULT_PINS]),
  BUTTON_KEYS: keyMap,
  BUTTON_GAMEPAD: gamepadMap,
  LED_PINS: pinList.default([]),
  GPIO_CHIP: z.string().min(1).default('auto'),
  BUTTON_DEBOUNCE_MS: int(30, 0, 1000),
  CAPTURE_LOCKOUT_MS: int(400, 0, 10_000),

  MAX_FRAMES: int(300, 1, 10_000),
  MOVIE_FPS: int(10, 1, 60),
  RECENT_MOVIES: int(8, 0, 100),

  DELIVERY_TARGET: optionalString,
  RSYNC_PASSWORD: optionalString,
  RSYNC_PASSWORD_FILE: optionalString,
  DELIVERY_SSH_KEY: optionalString,
  DELIVERY_TIMEOUT_SECONDS: int(120, 1, 3600),
  PROCESSOR_REPORT_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  REPORT_SECONDS: int(5, 1, 3600),
  REPORT_TIMEOUT_SECONDS: int(4, 1, 600),
  DELIVERY_RETRY_MIN_MS: int(2000, 10, 3_600_000),
  DELIVERY_RETRY_MAX_MS: int(300_000, 10, 86_400_000),
  SENT_RETENTION_DAYS: num(14, 0, 3650),
  DISK_MIN_FREE_MB: int(200, 0, 10_000_000),
  DISK_CLEANUP_FREE_MB: int(1000, 0, 10_000_000),

  UI_WATCHDOG_SECONDS: int(0, 0, 86_400),
  UI_RESTART_COMMAND: optionalString,
  UI_RESTART_MIN_INTERVAL_SECONDS: int(120, 0, 86_400),

  IDLE_MINUTES: num(5, 0.1, 1440),
  IDLE_ACTION: z.enum(['finish', 'keep', 'clear']).default('finish'),
  LOCALE: localeSchema.default('en'),
  TITLE_ENABLED: bool(false),
  SOUND: bool(true),
  ONION_OPACITY: num(0.3, 0, 1),
  CLAIM_SECONDS: int(60, 1, 3600),
  CLAIM_NEXT_GESTURE: z
    .string()
    .regex(/^(none|(capture|undo|play|finish)x[2-9])$/, 'must be none or <capture|undo|play|finish>x<2-9>, e.g. finishx3')
    .default('none'),
  DESIGNER: flag.optional(),
  GALLERY_PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),

  EVENT_NAME: z.string().max(120).default('Stop Motion Festival'),
  PRINTER: optionalString.pipe(z.string().regex(QUEUE_NAME, 'must be a CUPS queue name (letters, digits, _ . -)').optional()),
  PRINT_PUBLISH: z.enum(['public', 'all']).default('public'),
  PRINT_PAPER_MM: z.enum(['58', '80']).default('80'),
  PRINT_LP_OPTIONS: lpOptions,
  PRINT_JOB_TIMEOUT_SECONDS: int(90, 1, 3600),
  PRINT_CHECK_SECONDS: int(30, 1, 3600),
  PRINT_COMMAND_TIMEOUT_SECONDS: int(20, 1, 600),
  PRINT_FONT: z.string().min(1).default('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
  PRINT_FONT_BOLD: z.string().min(1).default('/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'),
  PRINT_FONT_MONO: z.string().min(1).default('/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf'),
  CUPS_SERVER: optionalString,
  /** The event's soundtracks (a folder with tracks.json); unset: no music, the picker is skipped. */
  TRACKS_DIR: optionalString,
  /** Only read for the BUTTONS default. */
  NODE_ENV: optionalString,
});
