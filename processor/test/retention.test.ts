import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type S3Service, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { fetchStatus, listDir, newId, writePackage } from './helpers.js';

const DAY = 86_400_000;

/** Dates a tree back by `ms`, as if it had sat there that long. */
async function ageTree(p: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  const st = await lstat(p);
  if (st.isDirectory()) for (const name of await readdir(p)) await ageTree(path.join(p, name), ms);
  await utimes(p, when, when);
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

describe('retention of the inbox, the quarantine and the local films', () => {
  let s3: S3Service;
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // A stopped S3 keeps a public film waiting for its upload.
    s3 = await startS3();
    await s3.pause();
    dir = await tempDir('proc-retention');
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
        RENDER_PREVIEW: 'false',
        RESCAN_SECONDS: '1',
        S3_TIMEOUT_SECONDS: '2',
        UPLOAD_RETRY_MAX_SECONDS: '600',
        FILMS_MAX_AGE_DAYS: '7',
        QUARANTINE_MAX_MB: '1',
        INBOX_STALE_HOURS: '24',
        DISK_MIN_FREE_MB: '0',
        // Sweeps happen when the test asks.
        RETENTION_INTERVAL_SECONDS: '86400',
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

  it('cleans the oldest first, never a film on the playlist or waiting for upload, and shows what it cleaned', async () => {
    const films = path.join(p.config.dataDir, 'films');
    const quarantine = path.join(p.config.dataDir, 'quarantine');
    // Three films: an old private one off the screen, a public one stuck in upload, and one on the playlist.
    const old = await writePackage(p.config.inboxDir, { frames: 3, title: 'old' });
    const waiting = await writePackage(p.config.inboxDir, { frames: 3, publish: 'public', title: 'waiting' });
    p.pipeline.queueScan();
    await waitFor(
      'two films rendered',
      () => p.pipeline.job(old.id)?.state === 'done' && p.pipeline.job(waiting.id)?.state === 'uploading',
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    const onScreen = await writePackage(p.config.inboxDir, { frames: 3, title: 'on screen' });
    p.pipeline.queueScan();
    await waitFor('the newest on the playlist', () => p.player.status().playlist.includes(onScreen.id), { timeoutMs: 60_000 });
    // The old one was taken off the big screen (moderation): only its local copy is left.
    await p.pipeline.takeDown(old.id, 'hidden');
    expect(p.player.status().playlist).not.toContain(old.id);
    // The public one is off the screen too, but its upload still needs the file.
    await p.pipeline.takeDown(waiting.id, 'hidden');
    expect(p.player.status().playlist).not.toContain(waiting.id);
    for (const id of [old.id, waiting.id, onScreen.id]) await ageTree(path.join(films, id), 30 * DAY);

    // Two quarantined packages of 700 kB each, over the 1 MB limit: the older goes.
    const bad = async () => {
      const pkg = await writePackage(p.config.inboxDir, {
        frames: 1,
        tamper: async (d, m) => {
          await writeFile(path.join(d, '0000.jpg'), randomBytes(700_000));
          if (m?.frames[0]) m.frames[0].sha256 = (await import('./helpers.js')).sha256(await readFile(path.join(d, '0000.jpg')));
        },
      });
      p.pipeline.queueScan();
      await waitFor('quarantined', () => p.pipeline.job(pkg.id)?.state === 'quarantined', { timeoutMs: 30_000 });
      return pkg.id;
    };
    const olderBad = await bad();
    const newerBad = await bad();
    await ageTree(path.join(quarantine, olderBad), 2 * DAY);
    await ageTree(path.join(quarantine, newerBad), 1 * DAY);

    // An abandoned delivery (no DONE), untouched for three days, and a fresh one still arriving.
    const abandoned = path.join(p.config.inboxDir, newId());
    await mkdir(abandoned);
    await writeFile(path.join(abandoned, '0000.jpg'), 'partial');
    await ageTree(abandoned, 3 * DAY);
    const arriving = path.join(p.config.inboxDir, newId());
    await mkdir(arriving);
    await writeFile(path.join(arriving, '0000.jpg'), 'partial');

    await p.retention.sweep();

    expect(await exists(path.join(films, old.id))).toBe(false);
    expect(await exists(path.join(films, waiting.id, 'movie.mp4'))).toBe(true);
    expect(await exists(path.join(films, onScreen.id, 'movie.mp4'))).toBe(true);
    expect(await exists(path.join(quarantine, olderBad))).toBe(false);
    expect(await exists(path.join(quarantine, newerBad))).toBe(true);
    expect(await exists(abandoned)).toBe(false);
    expect(await exists(arriving)).toBe(true);
    const stale = (await listDir(quarantine)).find((n) => n.startsWith(`stale-${path.basename(abandoned)}`));
    expect(stale).toBeDefined();
    expect(await readFile(path.join(quarantine, stale ?? '', 'REASON'), 'utf8')).toMatch(/untouched in the inbox/);

    const status = await fetchStatus(p.url);
    const cleaned = status.retention?.cleaned ?? [];
    expect(cleaned).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ area: 'films', name: old.id, reason: expect.stringMatching(/older than 7 day/) }),
        expect.objectContaining({ area: 'quarantine', name: olderBad, reason: expect.stringMatching(/over 1 MB/) }),
        expect.objectContaining({ area: 'inbox', name: path.basename(abandoned) }),
      ]),
    );
    expect(cleaned).toHaveLength(3);
    const page = await (await fetch(`${p.url}/`)).text();
    expect(page).toContain('Cleaned');
    expect(page).toContain(old.id);
    expect(logs.some((l) => l.event === 'retention.cleaned' && l.name === old.id)).toBe(true);
  }, 150_000);
});

describe('retention when the disk runs short', () => {
  let dir: TempDir;
  let p: Processor;

  beforeAll(async () => {
    dir = await tempDir('proc-diskfree');
    p = await startProcessor(
      loadConfig({
        PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
        PROCESSOR_PORT: '0',
        TITLE_SECONDS: '0.5',
        RENDER_THREADS: '1',
        RENDER_PREVIEW: 'false',
        // More free space than any disk here has: every sweep is short of room.
        DISK_MIN_FREE_MB: '100000000',
        QUARANTINE_MAX_MB: '0',
        FILMS_MAX_MB: '0',
        RETENTION_INTERVAL_SECONDS: '86400',
      }),
      { logger: pino({ level: 'silent' }) },
    );
  });

  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('removes quarantined packages and films off the screen, oldest first, and keeps the one on the playlist', async () => {
    const films = path.join(p.config.dataDir, 'films');
    const off = await writePackage(p.config.inboxDir, { frames: 3 });
    const on = await writePackage(p.config.inboxDir, { frames: 3 });
    const bad = await writePackage(p.config.inboxDir, { frames: 0 });
    p.pipeline.queueScan();
    await waitFor(
      'all settled',
      () =>
        p.pipeline.job(off.id)?.state === 'done' &&
        p.pipeline.job(on.id)?.state === 'done' &&
        p.pipeline.job(bad.id)?.state === 'quarantined',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await p.pipeline.takeDown(off.id, 'hidden');
    await ageTree(path.join(films, off.id), 3 * DAY);
    await ageTree(path.join(p.config.dataDir, 'quarantine', bad.id), 2 * DAY);
    await p.retention.sweep();
    expect(await exists(path.join(films, off.id))).toBe(false);
    expect(await exists(path.join(films, on.id, 'movie.mp4'))).toBe(true);
    expect(await exists(path.join(p.config.dataDir, 'quarantine', bad.id))).toBe(false);
    const cleaned = p.retention.status().cleaned;
    // Newest first in the status: the film (older) went before the quarantined package.
    expect(cleaned.map((c) => [c.area, c.name])).toEqual([
      ['quarantine', bad.id],
      ['films', off.id],
    ]);
    expect(cleaned.every((c) => /free space below/.test(c.reason))).toBe(true);
  }, 120_000);
});
