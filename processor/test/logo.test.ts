import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { execFileP, probeVideo, writePackage } from './helpers.js';

/** Mean RGB of an 8×8 patch of frame `n` at (x, y). */
async function patchColour(file: string, n: number, x: number, y: number): Promise<[number, number, number]> {
  const { stdout } = await execFileP(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      file,
      '-vf',
      `select=eq(n\\,${n}),crop=8:8:${x}:${y},scale=1:1:flags=area`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer' },
  );
  return [stdout[0] ?? 0, stdout[1] ?? 0, stdout[2] ?? 0];
}

describe('title card with a festival logo', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: Processor;
  beforeAll(async () => {
    dir = await tempDir('proc-logo');
    const logo = path.join(dir.path, 'logo.png');
    await execFileP('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=200x100', '-frames:v', '1', logo]);
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '1',
      TITLE_LOGO: logo,
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
    });
    p = await startProcessor(config, { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('draws the logo at the top of the title card, and not over the film', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 5, width: 320, height: 240, title: 'Logo' });
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 60_000;
      const tick = () => {
        const job = p.pipeline.job(id);
        if (job?.state === 'done') resolve();
        else if (Date.now() > deadline || job?.state === 'failed' || job?.state === 'quarantined')
          reject(new Error(`job: ${JSON.stringify(job)}`));
        else setTimeout(tick, 100);
      };
      tick();
    });
    const movie = path.join(p.config.dataDir, 'films', id, 'movie.mp4');
    // The card is one frame, held for its second; then the 5 film frames.
    expect((await probeVideo(movie)).frames).toBe(6);
    // Logo: 48 px high from y ≈ 10, centred. Red on the title card…
    const [r, g, b] = await patchColour(movie, 0, 156, 26);
    expect(r).toBeGreaterThan(180);
    expect(g + b).toBeLessThan(120);
    // …and grey film frames after it.
    const [fr, fg] = await patchColour(movie, 3, 156, 26);
    expect(Math.abs(fr - fg)).toBeLessThan(20);
  });
});
