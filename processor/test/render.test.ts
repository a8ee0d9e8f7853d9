import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import type { StatusJob } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { frameLevels, frameTimes, probeVideo, topLevelBoxes, writePackage } from './helpers.js';

const TITLE_SECONDS = 1;

async function waitForJob(p: Processor, id: string, states: string[], timeoutMs = 60_000): Promise<StatusJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await p.pipeline.status();
    const job = s.jobs.find((j) => j.id === id);
    if (job && states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach ${states.join('/')}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('render', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: Processor;
  beforeAll(async () => {
    dir = await tempDir('proc-render');
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: String(TITLE_SECONDS),
      EVENT_NAME: 'פסטיבל אנימציה · مهرجان',
      RENDER_THREADS: '1',
    });
    p = await startProcessor(config, { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('renders title + frames in order to H.264 High yuv420p with moov before mdat', async () => {
    const frames = 23;
    let source: number[] = [];
    const { id } = await writePackage(p.config.inboxDir, {
      frames,
      width: 320,
      height: 240,
      title: 'الفيل הפיל "big" <b>: \\ 🐘',
      fps: 10,
      tamper: async (dir) => {
        source = await frameLevels(path.join(dir, '%04d.jpg'));
        return undefined;
      },
    });
    expect(new Set(source.map(Math.round)).size).toBeGreaterThan(frames / 2);
    const job = await waitForJob(p, id, ['done']);
    expect(job.frameCount).toBe(frames);
    const movie = path.join(p.config.dataDir, 'films', id, 'movie.mp4');
    const info = await probeVideo(movie);
    expect(info).toMatchObject({ codec: 'h264', profile: 'High', pixFmt: 'yuv420p', width: 320, height: 240 });
    const expected = TITLE_SECONDS + frames / 10;
    expect(Math.abs(info.durationSec - expected)).toBeLessThanOrEqual(0.1 + 1e-6);
    // The card is one frame of the stream, held for its length: the film's first frame
    // comes TITLE_SECONDS in, then one every 1/fps.
    expect(info.frames).toBe(1 + frames);
    const times = await frameTimes(movie);
    expect(times.slice(0, 3)).toEqual([0, TITLE_SECONDS, TITLE_SECONDS + 0.1]);
    expect(times.at(-1)).toBeCloseTo(TITLE_SECONDS + (frames - 1) / 10, 6);
    const boxes = await topLevelBoxes(movie);
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    // Played at the film's rate, the card fills its TITLE_SECONDS.
    const levels = await frameLevels(movie);
    const film = levels.slice(TITLE_SECONDS * 10);
    expect(film).toHaveLength(frames);
    film.forEach((level, i) => {
      expect(Math.abs(level - (source[i] ?? -100)), `frame ${i}`).toBeLessThan(4);
    });
    // Poster and preview come from the same pass: the poster is the middle film frame, the
    // preview the first film frames (no title) at a small size.
    const posterFile = path.join(p.config.dataDir, 'films', id, 'poster.jpg');
    const poster = await readFile(posterFile);
    expect(poster.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const [posterLevel] = await frameLevels(posterFile);
    expect(Math.abs((posterLevel ?? -100) - (source[Math.floor(frames / 2)] ?? 0))).toBeLessThan(4);
    const previewFile = path.join(p.config.dataDir, 'films', id, 'preview.mp4');
    const preview = await probeVideo(previewFile);
    expect(preview).toMatchObject({ codec: 'h264', profile: 'High', pixFmt: 'yuv420p', width: 320, height: 240, frames: frames });
    const previewLevels = await frameLevels(previewFile);
    previewLevels.forEach((level, i) => {
      expect(Math.abs(level - (source[i] ?? -100)), `preview frame ${i}`).toBeLessThan(6);
    });
    const status = await p.pipeline.status();
    expect(status.playlist).toContain(id);
  });
});
