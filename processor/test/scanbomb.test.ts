import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { sha256, writePackage } from './helpers.js';
import { scanBombJpeg } from './scanbomb.js';

/** 3.9 MB, 100,000 scans of a 4096² frame: ffmpeg needs a minute or more to decode it. */
const bomb = scanBombJpeg({ side: 4096, scans: 100_000 });

async function startWith(env: Record<string, string>, dir: TempDir, logs: Array<Record<string, unknown>>): Promise<Processor> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return startProcessor(
    loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RESCAN_SECONDS: '1',
      ...env,
    }),
    { logger: pino({ level: 'info' }, sink) },
  );
}

/** Replaces the given frames of a package with the bomb, keeping the manifest's checksums right. */
const withBomb = (files: string[]) => async (dir: string, m: { frames: Array<{ file: string; sha256: string }> } | null) => {
  for (const file of files) {
    await writeFile(path.join(dir, file), bomb);
    const entry = m?.frames.find((f) => f.file === file);
    if (entry) entry.sha256 = sha256(await readFile(path.join(dir, file)));
  }
};

describe('progressive JPEG scan bomb', () => {
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-bomb');
    p = await startWith({}, dir, logs);
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('drops the frame before it reaches a render, and the next film premieres', async () => {
    const bombed = await writePackage(p.config.inboxDir, { frames: 4, tamper: withBomb(['0001.jpg']) });
    const next = await writePackage(p.config.inboxDir, { frames: 4 });
    p.pipeline.queueScan();
    await waitFor('the next film on the big screen', () => p.player.status().playlist.includes(next.id), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await waitFor('the bombed package settled', () => p.pipeline.job(bombed.id)?.state === 'done', { timeoutMs: 60_000 });
    const job = p.pipeline.job(bombed.id);
    expect(job?.frameCount).toBe(3);
    expect(job?.dropped).toEqual([{ file: '0001.jpg', reason: expect.stringMatching(/more than 100 scans/) }]);
    expect(logs.some((l) => l.event === 'frame.dropped' && l.id === bombed.id && /scans/.test(String(l.reason)))).toBe(true);
  }, 150_000);
});

describe('render deadline per package', () => {
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-budget');
    // The scan limit lifted, so only the package's render deadline stands between the bomb and the queue.
    // 20 s for every package: far more than a small film needs beside a CPU hog, far less than the bomb's decode.
    p = await startWith({ MAX_JPEG_SCANS: '1000000', RENDER_BASE_SECONDS: '20', RENDER_FRAME_BUDGET_MS: '1' }, dir, logs);
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('quarantines a package that overruns its deadline, with the reason, and the next film premieres', async () => {
    const slow = await writePackage(p.config.inboxDir, {
      frames: 2,
      width: 4096,
      height: 4096,
      tamper: withBomb(['0000.jpg', '0001.jpg']),
    });
    const next = await writePackage(p.config.inboxDir, { frames: 4 });
    p.pipeline.queueScan();
    await waitFor('the next film on the big screen', () => p.player.status().playlist.includes(next.id), {
      timeoutMs: 90_000,
      intervalMs: 100,
    });
    const job = p.pipeline.job(slow.id);
    expect(job?.state).toBe('quarantined');
    expect(job?.reason).toMatch(/longer than its budget of 20 s for 2 frame/);
    const reasonFile = await readFile(path.join(p.config.dataDir, 'quarantine', slow.id, 'REASON'), 'utf8');
    expect(reasonFile).toMatch(/budget/);
    expect(p.player.status().playlist).not.toContain(slow.id);
  }, 150_000);
});
