import type { Logger } from 'pino';
import { CONFIG_EXIT_CODE, ConfigError } from './config.js';

export interface Running {
  close(): Promise<void>;
}

export interface ServiceMain<C> {
  /** Reads and validates the configuration; throws ConfigError on bad values. */
  loadConfig(): C;
  createLogger(config: C): Logger;
  start(config: C, log: Logger): Promise<Running>;
  /** How long a clean stop may take before the process exits anyway. */
  stopTimeoutMs?: number;
}

/**
 * A service's main, the same for every one: bad configuration → its problems on
 * stderr and exit 2; a failed start → a logged reason and exit 1; SIGTERM/SIGINT →
 * a clean close, exit 0, or exit 1 when it fails or takes too long.
 */
export async function runService<C>(main: ServiceMain<C>): Promise<void> {
  let config: C;
  try {
    config = main.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  const log = main.createLogger(config);
  let running: Running;
  try {
    running = await main.start(config, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    log.fatal({ event: 'start.failed', err: err instanceof Error ? err.message : String(err) }, 'failed to start');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'shutdown', signal }, 'stopping');
    const force = setTimeout(() => {
      log.error({ event: 'shutdown.timeout' }, 'shutdown took too long');
      process.exit(1);
    }, main.stopTimeoutMs ?? 10_000);
    force.unref();
    running.close().then(
      () => {
        log.info({ event: 'stopped' }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ event: 'shutdown.failed', err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
