import { runService } from '@stop-motion/kit';
import { type GalleryConfig, loadConfig } from './config.js';
import { startGallery } from './index.js';
import { createLogger } from './log.js';

await runService<GalleryConfig>({
  loadConfig: () => loadConfig(),
  createLogger: (config) => createLogger({ level: config.LOG_LEVEL }),
  start: (config, log) => startGallery({ config, logger: log }),
});
