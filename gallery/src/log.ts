import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear; tokens and owner keys never reach a log line. */
export const REDACT_PATHS = [
  'token',
  'key',
  'ownerKey',
  'authorization',
  'cookie',
  '*.token',
  '*.key',
  '*.ownerKey',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'config.GALLERY_ADMIN_TOKEN',
  'config.AWS_SECRET_ACCESS_KEY',
  'config.REDIS_URL',
];

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** JSON lines, pretty only when a person is watching a terminal. */
export function createLogger(opts: { level: string; destination?: pino.DestinationStream; pretty?: boolean }): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && !opts.destination && prettyAvailable());
  const base: pino.LoggerOptions = {
    level: opts.level,
    base: { service: 'gallery' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty' } });
  return opts.destination ? pino(base, opts.destination) : pino(base);
}
