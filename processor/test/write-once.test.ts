import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, freeze, type S3Service, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { META_CACHE } from '../src/upload.js';
import { FilmConflictError, PROBE_PREFIX, WriteOnceUploader } from '../src/write-once.js';
import { newId, writePackage } from './helpers.js';

const silent = pino({ level: 'silent' });
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** Records the headers of every request the client sends, after signing. */
function recordRequests(client: S3Client): Array<{ method: string; path: string; headers: Record<string, string> }> {
  const seen: Array<{ method: string; path: string; headers: Record<string, string> }> = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { method: string; path: string; headers: Record<string, string> };
      seen.push({ method: req.method, path: req.path, headers: { ...req.headers } });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low' },
  );
  return seen;
}

/**
 * In front of s3rver, a proxy that answers a PUT with If-None-Match: * on an existing key
 * with 412 PreconditionFailed, as S3 documents for conditional writes; everything else
 * passes through unchanged (the Host header too, so signatures still match).
 */
async function conditionalProxy(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const target = new URL(req.url ?? '/', upstream);
    if (req.method === 'PUT' && req.headers['if-none-match'] === '*') {
      const head = await fetch(target, { method: 'HEAD' });
      if (head.status === 200) {
        req.resume();
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
        );
        return;
      }
    }
    const out = http.request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('write-once uploads (s3rver)', () => {
  let s3: S3Service;
  let dir: TempDir;

  beforeAll(async () => {
    s3 = await startS3();
    dir = await tempDir('proc-write-once');
  });
  afterAll(async () => {
    await s3?.close();
    await dir?.remove();
  });

  const get = async (key: string) =>
    Buffer.from((await (await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body?.transformToByteArray()) ?? []);

  it('finds that s3rver ignores If-None-Match, and leaves no probe behind', async () => {
    const u = new WriteOnceUploader(s3.client(), s3.bucket, silent);
    expect(await u.detect()).toBe('unsupported');
    const left = await s3.client().send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: PROBE_PREFIX.split('/')[0] }));
    expect(left.KeyCount ?? 0).toBe(0);
  });

  it('sends If-None-Match: * and the checksum with every film object', async () => {
    const client = s3.client();
    const seen = recordRequests(client);
    const u = new WriteOnceUploader(client, s3.bucket, silent);
    const file = path.join(dir.path, 'a.bin');
    await writeFile(file, 'film bytes');
    const key = movieKeys(newId()).video;
    await u.putFile(key, file, 'video/mp4', 'no-cache');
    const put = seen.find((r) => r.method === 'PUT' && r.path.endsWith(key));
    expect(put?.headers['if-none-match']).toBe('*');
    expect(put?.headers['x-amz-meta-sha256']).toBe(sha('film bytes'));
  });

  it('where the header is ignored, checks first: another film is never replaced, its own earlier write is kept', async () => {
    const u = new WriteOnceUploader(s3.client(), s3.bucket, silent);
    const id = newId();
    const key = movieKeys(id).video;
    const original = Buffer.from('the original family film');
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: original, Metadata: { sha256: sha(original) } }));
    const other = path.join(dir.path, 'other.bin');
    await writeFile(other, 'another film under the same id');
    await expect(u.putFile(key, other, 'video/mp4', 'no-cache')).rejects.toBeInstanceOf(FilmConflictError);
    expect(await get(key)).toEqual(original);
    // The same bytes again (a retry after a crash right after the write) are fine.
    const same = path.join(dir.path, 'same.bin');
    await writeFile(same, original);
    await u.putFile(key, same, 'video/mp4', 'no-cache');
    expect(await get(key)).toEqual(original);
  });

  it('replaces the cut-off body of an interrupted write (no checksum recorded) when no meta.json publishes it', async () => {
    const u = new WriteOnceUploader(s3.client(), s3.bucket, silent);
    const key = movieKeys(newId()).poster;
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: 'cut off' }));
    const file = path.join(dir.path, 'poster.jpg');
    await writeFile(file, 'the whole poster');
    await u.putFile(key, file, 'image/jpeg', 'no-cache');
    expect((await get(key)).toString()).toBe('the whole poster');
  });

  it('where the header is honoured (412), relies on it: no HEAD before the write, and a conflict is refused', async () => {
    const proxy = await conditionalProxy(s3.endpoint);
    try {
      const client = createS3Client({ ...s3, endpoint: proxy.url, forcePathStyle: true });
      const seen = recordRequests(client);
      const u = new WriteOnceUploader(client, s3.bucket, silent);
      expect(await u.detect()).toBe('supported');
      const key = movieKeys(newId()).video;
      const first = path.join(dir.path, 'first.bin');
      await writeFile(first, 'first');
      seen.length = 0;
      await u.putFile(key, first, 'video/mp4', 'no-cache');
      expect(seen.filter((r) => r.path.endsWith(key)).map((r) => r.method)).toEqual(['PUT']);
      const second = path.join(dir.path, 'second.bin');
      await writeFile(second, 'second');
      await expect(u.putFile(key, second, 'video/mp4', 'no-cache')).rejects.toBeInstanceOf(FilmConflictError);
      expect((await get(key)).toString()).toBe('first');
      // The same bytes: 412, then a HEAD finds its own checksum.
      await u.putFile(key, first, 'video/mp4', 'no-cache');
    } finally {
      await proxy.close();
    }
  });
  it("sends meta.json once, with If-None-Match: * where the store honours it, so another's meta.json is never replaced", async () => {
    const proxy = await conditionalProxy(s3.endpoint);
    try {
      const client = createS3Client({ ...s3, endpoint: proxy.url, forcePathStyle: true });
      const seen = recordRequests(client);
      const u = new WriteOnceUploader(client, s3.bucket, silent);
      const id = newId();
      const meta = {
        id,
        title: 'ours',
        stationId: 's1',
        createdAt: new Date().toISOString(),
        durationSec: 1,
        fps: 10,
        frameCount: 10,
        width: 64,
        height: 64,
      };
      expect(await u.putMeta(meta)).toBe('written');
      const put = seen.find((r) => r.method === 'PUT' && r.path.endsWith(movieKeys(id).meta));
      expect(put?.headers['if-none-match']).toBe('*');
      expect(put?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(put?.headers['cache-control']).toBe(META_CACHE);
      expect(JSON.parse((await get(movieKeys(id).meta)).toString())).toEqual(meta);
      // Another meta.json lands between the check and the PUT (a second processor, a moderator's hidden): the 412 keeps it.
      const other = newId();
      const theirs = { ...meta, id: other, hidden: true };
      class Raced extends WriteOnceUploader {
        private checked = false;
        override async readMeta(of: string) {
          if (this.checked) return super.readMeta(of);
          this.checked = true;
          await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(of).meta, Body: JSON.stringify(theirs) }));
          return null;
        }
      }
      expect(await new Raced(client, s3.bucket, silent).putMeta({ ...meta, id: other })).toBe('present');
      expect(JSON.parse((await get(movieKeys(other).meta)).toString())).toEqual(theirs);
    } finally {
      await proxy.close();
    }
  });
});

describe('a second processor without the job (s3rver)', () => {
  let s3: S3Service;
  let dir: TempDir;
  let a: Processor;
  let b: Processor;

  const start = (name: string) =>
    startProcessor(
      loadConfig({
        ...s3.env(),
        PROCESSOR_DATA_DIR: path.join(dir.path, name, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, name, 'inbox'),
        PROCESSOR_PORT: '0',
        TITLE_SECONDS: '0.5',
        RENDER_THREADS: '1',
        RENDER_PREVIEW: 'false',
        UPLOAD_RETRY_MAX_SECONDS: '1',
      }),
      { logger: silent },
    );
  const jobOf = async (p: Processor, id: string) => (await p.pipeline.status()).jobs.find((j) => j.id === id);
  const objects = async (id: string) => {
    const keys = movieKeys(id);
    const out: Record<string, string> = {};
    for (const key of [keys.video, keys.poster, keys.meta]) {
      const body = await (await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body?.transformToByteArray();
      out[key] = sha(body ?? new Uint8Array());
    }
    return out;
  };

  beforeAll(async () => {
    s3 = await startS3();
    dir = await tempDir('proc-second');
    a = await start('a');
    b = await start('b');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.close();
    await dir?.remove();
  });

  it('quarantines a package whose public id is already published, before rendering; the original is untouched', async () => {
    const { id } = await writePackage(a.config.inboxDir, { frames: 6, publish: 'public', title: 'the original' });
    await waitFor('the original to be published', async () => (await jobOf(a, id))?.state === 'done', { timeoutMs: 60_000 });
    const before = await objects(id);
    await writePackage(b.config.inboxDir, { id, frames: 9, width: 192, height: 144, publish: 'public', title: 'impostor' });
    const job = await waitFor(
      'the package to be quarantined',
      async () => {
        const j = await jobOf(b, id);
        return j?.state === 'quarantined' ? j : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(job.reason).toMatch(/already published .*meta\.json.*not rendered/);
    expect(await objects(id)).toEqual(before);
  });

  it('with S3 away at render time, refuses the upload once S3 is back; the original is untouched', async () => {
    const { id } = await writePackage(a.config.inboxDir, { frames: 6, publish: 'public', title: 'the original 2' });
    await waitFor('the original to be published', async () => (await jobOf(a, id))?.state === 'done', { timeoutMs: 60_000 });
    const before = await objects(id);
    await s3.stop();
    await writePackage(b.config.inboxDir, { id, frames: 9, width: 192, height: 144, publish: 'public', title: 'impostor 2' });
    await waitFor('the impostor to be rendered and waiting', async () => (await jobOf(b, id))?.state === 'uploading', {
      timeoutMs: 60_000,
    });
    await s3.start();
    const job = await waitFor(
      'the upload to be refused',
      async () => {
        const j = await jobOf(b, id);
        return j?.state === 'failed' ? j : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(job.reason).toMatch(/already holds a published film/);
    expect(await objects(id)).toEqual(before);
  });
});

/** The pid of the s3rver child serving `directory` (its argv names the directory). */
async function s3rverPid(directory: string): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv.some((a) => a.endsWith('s3rver-child.mjs')) && argv.includes(directory)) return Number(entry);
  }
  throw new Error('s3rver process not found');
}

describe('a stopped S3 (SIGSTOP) at the id check', () => {
  let s3: S3Service;
  let dir: TempDir;
  let p: Processor;
  let stopped: number | null = null;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    s3 = await startS3();
    dir = await tempDir('proc-s3-stopped');
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
        RECONCILE_SECONDS: '3600',
        UPLOAD_RETRY_MAX_SECONDS: '1',
      }),
      { logger: pino({ level: 'info' }, sink) },
    );
  });
  afterAll(async () => {
    if (stopped !== null) process.kill(stopped, 'SIGCONT');
    await p?.close();
    await s3?.close();
    await dir?.remove();
  });

  it('defers the check to the upload: the film premieres, and is uploaded once S3 runs again', async () => {
    stopped = await s3rverPid(s3.directory);
    await freeze(stopped);
    const { id } = await writePackage(p.config.inboxDir, { frames: 5, publish: 'public', title: 'while S3 is stopped' });
    await waitFor('the film on the big screen', async () => (await p.pipeline.status()).playlist.includes(id), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(logs.some((l) => l.event === 'film.check_deferred' && l.id === id)).toBe(true);
    process.kill(stopped, 'SIGCONT');
    stopped = null;
    await waitFor('the upload to complete', async () => (await p.pipeline.status()).jobs.find((j) => j.id === id)?.state === 'done', {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
  }, 200_000);
});
