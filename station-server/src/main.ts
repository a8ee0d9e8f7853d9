import { loadConfig } from './config.js';
import { startStation } from './index.js';
import { createLogger } from './log.js';

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  const log = createLogger('error');
  log.fatal({ event: 'config.invalid', errors: loaded.errors }, `invalid configuration: ${loaded.errors.join('; ')}`);
  process.exitCode = 1;
} else {
  const log = createLogger(loaded.config.logLevel);
  if (process.env.NODE_ENV === 'production' && loaded.config.buttons.kind === 'sim') {
    log.warn({ event: 'buttons.simulated' }, 'BUTTONS=sim in production: /_sim/* presses buttons and the designer panel shows');
  }
  try {
    const running = await startStation({ config: loaded.config, log });
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: 'shutdown', signal }, 'stopping');
      const force = setTimeout(() => {
        log.error({ event: 'shutdown.timeout' }, 'shutdown took too long');
        process.exit(1);
      }, 10_000);
      force.unref();
      running.close().then(
        () => {
          log.info({ event: 'stopped' }, 'stopped');
          process.exit(0);
        },
        (err: Error) => {
          log.error({ event: 'shutdown.failed', err: err.message }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (err) {
    log.fatal({ event: 'start.failed', err: (err as Error).message }, 'station failed to start');
    process.exitCode = 1;
  }
}
