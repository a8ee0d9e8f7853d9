import { createLogger as createServiceLogger, type Logger, REDACT_PATHS } from '@stop-motion/kit';
import type pino from 'pino';

export type { Logger };

/** The gallery's own secrets, on top of the ones every service blanks. */
const GALLERY_REDACT = ['key', '*.key', 'config.GALLERY_ADMIN_TOKEN', 'config.AWS_SECRET_ACCESS_KEY', 'config.REDIS_URL'];

/** Every path the gallery's lines blank out. */
export const GALLERY_REDACT_PATHS = [...REDACT_PATHS, ...GALLERY_REDACT];

/** The gallery's logger: the festival's one log shape (kit), service `gallery`. */
export function createLogger(opts: { level: string; destination?: pino.DestinationStream; pretty?: boolean }): Logger {
  return createServiceLogger({ service: 'gallery', redact: GALLERY_REDACT, ...opts });
}
