import http from 'node:http';
import path from 'node:path';
import { scrape, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startProcessor } from '../src/index.js';
import { type Rig, startRig } from './rig.js';

function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// /metrics of a processor with real peers, scraped after real work.
describe('processor /metrics', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig('proc-metrics');
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
  });

  it('counts renders, quarantines and uploads as they happen, with queue lengths and process metrics', async () => {
    const url = `${rig.processor().url}/metrics`;
    const start = await scrape(url);
    expect(start.types.get('stopmotion_processor_renders_total')).toBe('counter');
    expect(start.types.get('stopmotion_processor_render_duration_seconds')).toBe('histogram');
    expect(start.get('stopmotion_processor_renders_total', { result: 'done' })).toBe(0);
    expect(start.get('stopmotion_processor_uploads_total', { result: 'done' })).toBe(0);
    expect(start.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(start.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(start.get('stopmotion_processor_player_restarts_total')).toBe(0);

    const good = await rig.prepare({ frames: 6, publish: 'public', title: 'counted' });
    // Rendered like any other, never uploaded: it must not count as an upload.
    const privateFilm = await rig.prepare({ frames: 6, publish: 'private', title: 'not an upload' });
    // No frames at all: quarantined with its reason, never rendered.
    const bad = await rig.prepare({ layout: 'original', frames: 0 });
    await rig.deliver(good);
    await rig.deliver(bad);
    await rig.deliver(privateFilm);
    const job = (id: string) => rig.processor().pipeline.job(id)?.state;
    await waitFor(
      'one film uploaded, one private and one quarantined',
      () => job(good) === 'done' && job(privateFilm) === 'done' && job(bad) === 'quarantined',
      {
        timeoutMs: 120_000,
        intervalMs: 100,
      },
    );
    const end = await scrape(url);
    expect(end.get('stopmotion_processor_renders_total', { result: 'done' })).toBe(2);
    expect(end.get('stopmotion_processor_renders_total', { result: 'quarantined' })).toBe(1);
    expect(end.get('stopmotion_processor_render_duration_seconds_count')).toBe(2);
    expect(end.get('stopmotion_processor_render_duration_seconds_sum')).toBeGreaterThan(0);
    expect(end.get('stopmotion_processor_render_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(end.get('stopmotion_processor_uploads_total', { result: 'done' })).toBe(1);
    expect(end.get('stopmotion_processor_uploads_total', { result: 'failed' })).toBe(0);
    expect(end.get('stopmotion_processor_queue_length', { queue: 'quarantine' })).toBe(1);
    expect(end.get('stopmotion_processor_queue_length', { queue: 'render' })).toBe(0);
    expect(end.get('stopmotion_processor_queue_length', { queue: 'upload' })).toBe(0);
    expect(end.get('stopmotion_processor_queue_length', { queue: 'inbox' })).toBe(0);
  });

  it('counts packages still in the inbox, and answers only under its own Host', async () => {
    const url = `${rig.processor().url}/metrics`;
    // A package without DONE stays in the inbox.
    const waiting = await rig.prepare({ frames: 2, noDone: true });
    await rig.deliver(waiting);
    expect((await scrape(url)).get('stopmotion_processor_queue_length', { queue: 'inbox' })).toBe(1);
    expect(await getWithHost(url, 'evil.example:80')).toBe(421);
  });

  it('counts a failed upload attempt while S3 is down, then the upload', async () => {
    const url = `${rig.processor().url}/metrics`;
    const before = await scrape(url);
    const failedBefore = before.get('stopmotion_processor_uploads_total', { result: 'failed' }) ?? 0;
    const doneBefore = before.get('stopmotion_processor_uploads_total', { result: 'done' }) ?? 0;
    await rig.s3.stop();
    const id = await rig.prepare({ frames: 4, publish: 'public', title: 'S3 away' });
    await rig.deliver(id);
    await waitFor(
      'a failed upload counted',
      async () => ((await scrape(url)).get('stopmotion_processor_uploads_total', { result: 'failed' }) ?? 0) > failedBefore,
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect((await scrape(url)).get('stopmotion_processor_queue_length', { queue: 'upload' })).toBe(1);
    await rig.s3.start();
    await waitFor('the upload done', () => rig.processor().pipeline.job(id)?.state === 'done', { timeoutMs: 120_000, intervalMs: 100 });
    expect((await scrape(url)).get('stopmotion_processor_uploads_total', { result: 'done' })).toBe(doneBefore + 1);
  });
});

describe('processor /metrics: the big screen', () => {
  it('counts an mpv restart after mpv is killed', async () => {
    const dir = await tempDir('proc-metrics-mpv');
    const p = await startProcessor(
      loadConfig({
        PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
        PROCESSOR_PORT: '0',
        PLAYER: 'mpv',
        MPV_FULLSCREEN: 'false',
        MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
      }),
      { logger: pino({ level: 'silent' }) },
    );
    try {
      const url = `${p.url}/metrics`;
      const pid = await waitFor('mpv running', () => p.player.status().pid, { timeoutMs: 30_000 });
      expect((await scrape(url)).get('stopmotion_processor_player_restarts_total')).toBe(0);
      process.kill(pid, 'SIGKILL');
      await waitFor(
        'a new mpv',
        () => {
          const now = p.player.status().pid;
          return now !== null && now !== pid;
        },
        { timeoutMs: 30_000 },
      );
      expect((await scrape(url)).get('stopmotion_processor_player_restarts_total')).toBe(1);
    } finally {
      await p.close();
      await dir.remove();
    }
  });
});
