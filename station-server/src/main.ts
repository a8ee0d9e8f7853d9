import { ConfigError, runService } from '@stop-motion/kit';
import { loadConfig, type StationConfig } from './config.js';
import { startStation } from './index.js';
import { createLogger } from './log.js';

await runService<StationConfig>({
  loadConfig: () => {
    const loaded = loadConfig(process.env);
    if (!loaded.ok) throw new ConfigError(loaded.errors);
    return loaded.config;
  },
  createLogger: (config) => createLogger(config.logLevel),
  start: async (config, log) => {
    if (process.env.NODE_ENV === 'production' && config.buttons.kind === 'sim') {
      log.warn({ event: 'buttons.simulated' }, 'BUTTONS=sim in production: /_sim/* presses buttons and the designer panel shows');
    }
    return startStation({ config, log });
  },
});
