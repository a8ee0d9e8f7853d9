// The picture the big screen shows while there is no film: the event's name on the title card's background.
import path from 'node:path';
import { buildIdleSlideArgs } from './args.js';
import type { ProcessorConfig } from './config.js';
import { runTool } from './ffmpeg.js';
import { errorMessage } from './files.js';
import type { Logger } from './log.js';
import { prepareTitleCard } from './title.js';

/** Made once at start in `<data>/idle/idle.png`; null when it cannot be made (logged): no slide between films then. */
export async function makeIdleSlide(config: ProcessorConfig, log: Logger): Promise<string | null> {
  const dir = path.join(config.dataDir, 'idle');
  const output = path.join(dir, 'idle.png');
  try {
    const card = await prepareTitleCard(dir, {
      eventName: config.eventName,
      title: null,
      stationId: '',
      date: '',
      width: 1280,
      height: 720,
      seconds: 1,
      fontFile: config.fontFile,
      fontFileBold: config.fontFileBold,
    });
    const line = card.lines[0];
    if (!line) return null;
    await runTool(
      'ffmpeg',
      buildIdleSlideArgs({ width: 1280, height: 720, background: card.background, line: { ...line, y: 0.5 }, output }),
      {
        timeoutMs: 30_000,
      },
    );
    return output;
  } catch (err) {
    log.warn({ event: 'player.idle_slide_failed', err: errorMessage(err) }, 'player idle slide failed');
    return null;
  }
}
