import path from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type S3Service, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { fetchStatus, writePackage } from './helpers.js';

/** A stopped S3 server (SIGSTOP): connections are accepted, nothing ever answers. */
describe('processor uploads with a stopped S3 server', () => {
  let s3: S3Service;
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    s3 = await startS3();
    dir = await tempDir('proc-stalls');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    p = await startProcessor(
      loadConfig({
        ...s3.env(),
        PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
        PROCESSOR_PORT: '0',
        TITLE_SECONDS: '0.5',
        RENDER_THREADS: '1',
        RESCAN_SECONDS: '1',
        UPLOAD_RETRY_MAX_SECONDS: '1',
        S3_TIMEOUT_SECONDS: '2',
      }),
      { logger: pino({ level: 'info' }, sink) },
    );
  });

  afterAll(async () => {
    s3?.resume();
    await p?.close();
    await s3?.close();
    await dir?.remove();
  });

  it('retries with the error on its status page, and uploads once S3 answers again', async () => {
    await s3.pause();
    let id = '';
    try {
      ({ id } = await writePackage(p.config.inboxDir, { frames: 4, publish: 'public', title: 'Stalled upload' }));
      p.pipeline.queueScan();
      const waiting = await waitFor(
        'a failed upload attempt on the status page',
        async () => {
          const s = await fetchStatus(p.url);
          const w = s.uploadsWaiting.find((u) => u.id === id);
          return w && w.attempts > 0 && w.lastError ? w : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      expect(waiting.lastError).toMatch(/2000 ms requestTimeout|no answer within 2 s/);
      expect(logs.some((l) => l.event === 'upload.retry' && l.id === id)).toBe(true);
      // It is already on the big screen: S3 being away delays only the website.
      expect(p.player.status().playlist).toContain(id);
    } finally {
      s3.resume();
    }
    await waitFor('the film uploaded', () => p.pipeline.job(id)?.state === 'done', { timeoutMs: 90_000, intervalMs: 100 });
    const meta = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }));
    expect(JSON.parse((await meta.Body?.transformToString()) ?? '{}')).toMatchObject({ id, title: 'Stalled upload' });
  });
});
