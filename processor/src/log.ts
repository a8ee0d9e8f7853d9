import { createLogger as createServiceLogger, type Logger } from '@stop-motion/kit';
import type pino from 'pino';

export type { Logger };

/** The processor's logger: the festival's one log shape (kit), service `processor`. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return createServiceLogger({ service: 'processor', level, ...(destination ? { destination } : {}) });
}
