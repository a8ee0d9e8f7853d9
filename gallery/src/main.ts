import { ConfigError, loadConfig } from './config.js';
import { startGallery } from './index.js';
import { createLogger } from './log.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger({ level: config.LOG_LEVEL });
const gallery = await startGallery({ config, logger: log });

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ event: 'shutdown', signal }, 'stopping');
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  gallery.close().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
