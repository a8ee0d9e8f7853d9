import { runService } from '@stop-motion/kit';
import { loadConfig, type ProcessorConfig } from './config.js';
import { startProcessor } from './index.js';
import { createLogger } from './log.js';

await runService<ProcessorConfig>({
  loadConfig: () => loadConfig(),
  createLogger: (config) => createLogger(config.logLevel),
  start: (config, log) => startProcessor(config, { logger: log }),
  stopTimeoutMs: 15_000,
});
