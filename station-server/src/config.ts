// The station's configuration: the variables of config-env.ts, the rules across them, and the shape the code uses, in one schema.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configProblems } from '@stop-motion/kit';
import type { z } from 'zod';
import { qualityScale } from './camera/args.js';
import { CAMERA_KINDS, type CameraKind, envSchema } from './config-env.js';
import { parseCommandLine, parseGesture } from './config-text.js';

export { type ButtonPin, parseButtonPins, parseCommandLine } from './config-text.js';

/** station-server/, whether this runs from src/ or from the build in dist/src/. */
const PACKAGE_DIR = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

export type ConfigResult = { ok: true; config: StationConfig } | { ok: false; errors: string[] };

function defaultStationId(): string {
  const host = os
    .hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return host.slice(0, 64) || 'station';
}

/** CAMERA_QUALITY on the scale of the chosen camera, or its default. */
export function cameraQuality(kind: CameraKind, text: string | undefined): { ok: true; value: number } | { ok: false; reason: string } {
  const scale = qualityScale(kind);
  if (text === undefined) return { ok: true, value: scale.fallback };
  const n = Number(text);
  if (!Number.isInteger(n) || n < scale.min || n > scale.max) {
    return {
      ok: false,
      reason: `with CAMERA=${kind} it is ${scale.meaning}: a whole number from ${scale.min} to ${scale.max}, got ${JSON.stringify(text.slice(0, 40))}`,
    };
  }
  return { ok: true, value: n };
}

/**
 * BUTTONS when unset: a provisioned station (NODE_ENV=production, as its unit sets)
 * reads real buttons; simulated ones would open `/_sim/*` and the designer panel.
 * Development gets `sim`; tests and the demo set it explicitly all the same.
 */
export function buttonsDefault(nodeEnv: string | undefined): 'gpiomon' | 'sim' {
  return nodeEnv === 'production' ? 'gpiomon' : 'sim';
}

const isCameraKind = (v: unknown): v is CameraKind => CAMERA_KINDS.includes(v as CameraKind);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The station's whole configuration: the environment's variables, the rules across
 * them, and the shape the code uses, in one schema. Relative paths resolve against `cwd`.
 */
export function configSchema(cwd: string) {
  return (
    envSchema
      // Rules across variables; each runs when the variables it reads are valid, even if
      // others are not, so every problem is listed at once.
      .superRefine(
        (e, ctx) => {
          const problem = (variable: string, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
          if (e.CAMERA === 'replay' && !e.CAMERA_SOURCE)
            problem('CAMERA_SOURCE', 'required with CAMERA=replay (a folder of JPEGs or a video file)');
          if (isCameraKind(e.CAMERA)) {
            const quality = cameraQuality(e.CAMERA, e.CAMERA_QUALITY);
            if (!quality.ok) problem('CAMERA_QUALITY', quality.reason);
          }
          if (isNumber(e.DELIVERY_RETRY_MAX_MS) && isNumber(e.DELIVERY_RETRY_MIN_MS) && e.DELIVERY_RETRY_MAX_MS < e.DELIVERY_RETRY_MIN_MS) {
            problem('DELIVERY_RETRY_MAX_MS', 'must not be below DELIVERY_RETRY_MIN_MS');
          }
          if (e.PROCESSOR_REPORT_URL && !e.RSYNC_PASSWORD && !e.RSYNC_PASSWORD_FILE) {
            problem('PROCESSOR_REPORT_URL', 'reports are signed with the delivery secret; set RSYNC_PASSWORD or RSYNC_PASSWORD_FILE');
          }
          if (isNumber(e.UI_WATCHDOG_SECONDS) && e.UI_WATCHDOG_SECONDS > 0 && !e.UI_RESTART_COMMAND) {
            problem('UI_RESTART_COMMAND', 'required when UI_WATCHDOG_SECONDS is set');
          }
          if (e.UI_RESTART_COMMAND && parseCommandLine(e.UI_RESTART_COMMAND) === null) problem('UI_RESTART_COMMAND', 'unbalanced quotes');
        },
        { when: () => true },
      )
      .transform((e) => {
        const frameMs = Math.round(1000 / e.CAMERA_FPS);
        const buttons = e.BUTTONS ?? buttonsDefault(e.NODE_ENV);
        const quality = cameraQuality(e.CAMERA, e.CAMERA_QUALITY);
        return {
          stationId: e.STATION_ID ?? defaultStationId(),
          host: e.STATION_HOST,
          port: e.STATION_PORT,
          dataDir: path.resolve(cwd, e.STATION_DATA_DIR),
          uiDir: e.STATION_UI_DIR ? path.resolve(cwd, e.STATION_UI_DIR) : path.resolve(PACKAGE_DIR, '../station-ui/dist'),
          tracksDir: e.TRACKS_DIR ? path.resolve(cwd, e.TRACKS_DIR) : undefined,
          allowedOrigins: (e.ALLOWED_ORIGINS ?? '')
            .split(',')
            .map((o) => o.trim())
            .filter((o) => o !== ''),
          /** Extra names the Host header may carry (ALLOWED_HOSTS); loopback and IP literals always may. */
          allowedHosts: (e.ALLOWED_HOSTS ?? '')
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter((h) => h !== ''),
          logLevel: e.LOG_LEVEL,
          camera: {
            kind: e.CAMERA,
            width: e.CAMERA_WIDTH,
            height: e.CAMERA_HEIGHT,
            fps: e.CAMERA_FPS,
            device: e.CAMERA_DEVICE,
            source: e.CAMERA_SOURCE ? path.resolve(cwd, e.CAMERA_SOURCE) : undefined,
            // Checked above; the fallback only satisfies the type.
            quality: quality.ok ? quality.value : qualityScale(e.CAMERA).fallback,
            stallMs: e.CAMERA_STALL_MS,
            lock: e.CAMERA_LOCK,
            settleMs: e.CAMERA_SETTLE_MS,
            shutterUs: e.CAMERA_SHUTTER_US > 0 ? e.CAMERA_SHUTTER_US : undefined,
            gain: e.CAMERA_GAIN,
            awbGains: e.CAMERA_AWB_GAINS,
            lensPosition: e.CAMERA_LENS_POSITION,
            flickerHz: e.CAMERA_FLICKER_HZ === 'off' ? undefined : (Number(e.CAMERA_FLICKER_HZ) as 50 | 60),
            /** Overrides the program name (tests, unusual installs). */
            command: e.CAMERA_COMMAND,
            /** Overrides v4l2-ctl (CAMERA=v4l2). */
            controlCommand: e.CAMERA_CONTROL_COMMAND,
          },
          /** Wait after a press before the frame is taken, so the hand is out of shot. */
          captureSettleMs: e.CAPTURE_SETTLE_MS >= 0 ? e.CAPTURE_SETTLE_MS : frameMs,
          buttons: {
            kind: buttons,
            pins: e.BUTTON_PINS,
            /** Lights in the buttons (LED_PINS), driven with gpioset; empty = none. */
            ledPins: e.LED_PINS,
            keys: e.BUTTON_KEYS,
            /** Gamepad button index → action (BUTTON_GAMEPAD), for encoders that are joysticks. */
            gamepad: e.BUTTON_GAMEPAD,
            chip: e.GPIO_CHIP,
            debounceMs: e.BUTTON_DEBOUNCE_MS,
            captureLockoutMs: e.CAPTURE_LOCKOUT_MS,
          },
          maxFrames: e.MAX_FRAMES,
          movieFps: e.MOVIE_FPS,
          recentMovies: e.RECENT_MOVIES,
          delivery: {
            target: e.DELIVERY_TARGET,
            rsyncPassword: e.RSYNC_PASSWORD,
            rsyncPasswordFile: e.RSYNC_PASSWORD_FILE,
            sshKey: e.DELIVERY_SSH_KEY,
            timeoutSeconds: e.DELIVERY_TIMEOUT_SECONDS,
            retryMinMs: e.DELIVERY_RETRY_MIN_MS,
            retryMaxMs: e.DELIVERY_RETRY_MAX_MS,
            sentRetentionDays: e.SENT_RETENTION_DAYS ?? 14,
          },
          disk: { minFreeBytes: e.DISK_MIN_FREE_MB * 1024 * 1024, cleanupFreeBytes: e.DISK_CLEANUP_FREE_MB * 1024 * 1024 },
          /** Status reports to the processing unit; url null = off. Signed with the delivery secret. */
          report: {
            url: e.PROCESSOR_REPORT_URL ?? null,
            intervalMs: e.REPORT_SECONDS * 1000,
            timeoutMs: e.REPORT_TIMEOUT_SECONDS * 1000,
          },
          watchdog: {
            seconds: e.UI_WATCHDOG_SECONDS,
            command: e.UI_RESTART_COMMAND,
            minIntervalSeconds: e.UI_RESTART_MIN_INTERVAL_SECONDS,
          },
          ui: {
            idleMinutes: e.IDLE_MINUTES ?? 5,
            idleAction: e.IDLE_ACTION,
            locale: e.LOCALE,
            titleEnabled: e.TITLE_ENABLED,
            sound: e.SOUND,
            onionOpacity: e.ONION_OPACITY ?? 0.3,
            claimSeconds: e.CLAIM_SECONDS,
            /** The "next child" gesture that ends the claim screen early: one button pressed n times within a few seconds. */
            claimNext: parseGesture(e.CLAIM_NEXT_GESTURE),
            designer: e.DESIGNER ?? buttons === 'sim',
            galleryPublicUrl: e.GALLERY_PUBLIC_URL ? e.GALLERY_PUBLIC_URL.replace(/\/+$/, '') : null,
          },
          /** Claim tickets through CUPS; `queue` null prints none. */
          printer: {
            queue: e.PRINTER ?? null,
            publish: e.PRINT_PUBLISH,
            paperMm: (e.PRINT_PAPER_MM === '58' ? 58 : 80) as 58 | 80,
            lpOptions: e.PRINT_LP_OPTIONS ?? [],
            jobTimeoutSeconds: e.PRINT_JOB_TIMEOUT_SECONDS,
            checkSeconds: e.PRINT_CHECK_SECONDS,
            /** The deadline of each lp, lpstat and ffmpeg run. */
            commandTimeoutSeconds: e.PRINT_COMMAND_TIMEOUT_SECONDS,
            eventName: e.EVENT_NAME,
            fonts: { regular: e.PRINT_FONT, bold: e.PRINT_FONT_BOLD, mono: e.PRINT_FONT_MONO },
            cupsServer: e.CUPS_SERVER,
          },
        };
      })
  );
}

export type StationConfig = z.output<ReturnType<typeof configSchema>>;

/** Reads the station's settings from the environment; every bad variable is listed at once. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): ConfigResult {
  const result = configSchema(cwd).safeParse(env);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, errors: configProblems(result.error) };
}
