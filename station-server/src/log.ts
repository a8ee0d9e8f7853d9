import { createLogger as createServiceLogger, type Logger } from '@stop-motion/kit';
import type pino from 'pino';

export type { Logger };

/** The station's logger: the festival's one log shape (kit), service `station-server`. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return createServiceLogger({ service: 'station-server', level, ...(destination ? { destination } : {}) });
}
