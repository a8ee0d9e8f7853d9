import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Fields blanked wherever they appear, in every service: secrets never reach a log line.
 * A service adds its own (a config key) through `redact`.
 */
export const REDACT_PATHS = [
  'password',
  'token',
  'ownerKey',
  'authorization',
  'cookie',
  'secretAccessKey',
  'accessKeyId',
  '*.password',
  '*.token',
  '*.ownerKey',
  '*.authorization',
  '*.cookie',
  '*.secretAccessKey',
  '*.accessKeyId',
  '*.rsyncPassword',
  '*.statusToken',
  '*.controlToken',
  'env.CONTROL_TOKEN',
  'env.METRICS_TOKEN',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'env.RSYNC_PASSWORD',
  'env.AWS_SECRET_ACCESS_KEY',
];

export interface LoggerOptions {
  /** Goes into every line as `service`. */
  service: string;
  level: string;
  /** Where lines go (tests); else stdout. */
  destination?: pino.DestinationStream;
  /** More paths to blank, on top of REDACT_PATHS. */
  redact?: string[];
  /** Pretty lines; by default only when a person watches a terminal and pino-pretty is installed. */
  pretty?: boolean;
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * One log shape for every service: JSON lines with `service`, the event name in
 * `event`, and a short human message.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: opts.service },
    redact: { paths: [...REDACT_PATHS, ...(opts.redact ?? [])], censor: '[redacted]' },
  };
  if (opts.destination) return pino(options, opts.destination);
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && opts.level !== 'silent' && prettyAvailable());
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
