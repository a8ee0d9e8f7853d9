import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type S3Service, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { filmMetaSchema, MAX_TITLE_LENGTH, movieKeys } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { prepareTitleCard } from '../src/title.js';
import { probeVideo, writePackage } from './helpers.js';

/** A request with headers fetch() will not set (Host), answering status and body. */
function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('hostile manifests and titles (s3rver, ffmpeg)', () => {
  let dir: TempDir;
  let s3: S3Service;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];
  const jobOf = async (id: string) => (await p.pipeline.status()).jobs.find((j) => j.id === id);
  const done = (id: string) =>
    waitFor(
      `film ${id} done`,
      async () => {
        const j = await jobOf(id);
        if (j?.state === 'quarantined' || j?.state === 'failed') throw new Error(`${j.state}: ${j.reason}`);
        return j?.state === 'done' ? j : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  const meta = async (id: string) =>
    filmMetaSchema.parse(
      JSON.parse(
        (await (await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }))).Body?.transformToString()) ??
          '',
      ),
    );

  beforeAll(async () => {
    dir = await tempDir('proc-hostile');
    s3 = await startS3();
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        cb();
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
        RENDER_PREVIEW: 'false',
        PROCESSOR_ALLOWED_HOSTS: 'processor.festival.lan',
      }),
      { logger: pino({ level: 'info' }, sink) },
    );
  });
  afterAll(async () => {
    await p?.close();
    await s3?.close();
    await dir?.remove();
  });

  it('the frames decide the size: a manifest claiming 8192×16 over 320×240 frames makes a 320×240 film', async () => {
    const { id } = await writePackage(p.config.inboxDir, {
      frames: 5,
      width: 320,
      height: 240,
      publish: 'public',
      tamper: (_dir, m) => (m ? { ...m, width: 8192, height: 16 } : m),
    });
    await done(id);
    const video = await probeVideo(path.join(p.config.dataDir, 'films', id, 'movie.mp4'));
    expect([video.width, video.height]).toEqual([320, 240]);
    expect(await meta(id)).toMatchObject({ width: 320, height: 240 });
    expect(logs.some((l) => l.event === 'package.size_mismatch' && l.id === id && l.manifest === '8192x16')).toBe(true);
  });

  it.each([
    ['a control character', 'Our\u0007 film\npart two', 'Our film part two', /control character/],
    ['a bidi override', 'Movie\u202Egnp.exe', 'Moviegnp.exe', /direction or format control/],
    ['more than 120 characters', 'long '.repeat(60), `${'long '.repeat(24).trimEnd()}…`, /shortened/],
  ])('a title with %s keeps the film, with the title fixed and the reason logged', async (_what, title, fixed, reason) => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 4, publish: 'public', title });
    const job = await done(id);
    expect(job.title).toBe(fixed);
    expect(job.title?.length).toBeLessThanOrEqual(MAX_TITLE_LENGTH);
    expect((await meta(id)).title).toBe(fixed);
    expect(logs.some((l) => l.event === 'title.fixed' && l.id === id && reason.test(String(l.reason)))).toBe(true);
  });

  it('the title card never draws a bidi control, even from a title that skipped the sanitiser', async () => {
    const card = await prepareTitleCard(path.join(dir.path, 'card'), {
      eventName: 'Festival\u202E',
      title: 'Movie\u202Egnp.exe\u2066x\u2069',
      stationId: 'station-1',
      date: '2026-12-01',
      width: 640,
      height: 360,
      seconds: 1,
      fontFile: p.config.fontFile,
      fontFileBold: p.config.fontFileBold,
    });
    const texts = await Promise.all(card.lines.map((l) => readFile(l.textFile, 'utf8')));
    expect(texts).toContain('Moviegnp.exex');
    expect(texts).toContain('Festival');
    for (const t of texts) expect(t).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/);
  });

  describe('status API without STATUS_TOKEN', () => {
    it('refuses a cross-origin text/plain POST, which would take a film off the big screen', async () => {
      const { id } = await writePackage(p.config.inboxDir, { frames: 4, publish: 'private', title: 'keep me' });
      await done(id);
      const res = await request(`${p.url}/api/films/${id}/remove`, {
        method: 'POST',
        headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(res.status).toBe(403);
      expect((await p.pipeline.status()).playlist).toContain(id);
      // The page the API serves may still post to it (same origin), and so may tools without an Origin.
      const own = new URL(p.url);
      const ok = await request(`${p.url}/api/films/${id}/remove`, { method: 'POST', headers: { origin: own.origin } });
      expect(ok.status).toBe(200);
      expect((await p.pipeline.status()).playlist).not.toContain(id);
    });

    it.each([
      ['a rebinding name', 'evil.example', 421],
      ['a rebinding name with our port', 'evil.example:8760', 421],
      ['a configured name', 'processor.festival.lan:8760', 200],
      ['localhost', 'localhost', 200],
      ['an IP address', '10.0.0.5:8760', 200],
    ])('GET /status with Host %s (%s) answers %i', async (_what, host, status) => {
      const res = await request(`${p.url}/status`, { headers: { host } });
      expect(res.status).toBe(status);
      if (status !== 200) expect(res.body).not.toContain('"jobs"');
    });
  });
});
