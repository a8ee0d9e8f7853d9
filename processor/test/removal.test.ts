import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MpvClient, type RedisService, type S3Service, startRedis, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { FILMS_CHANNEL, type FilmMeta, filmMetaSchema, movieKeys } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { listDir, newId, writePackage } from './helpers.js';

/**
 * Owner removal and hides against real s3rver, redis-server and mpv (--vo=null): the
 * big screen and the films kept here follow the bucket even when Redis missed the news.
 */
describe('removal and reconciliation (s3rver, redis-server, mpv)', () => {
  let dir: TempDir;
  let s3: S3Service;
  let redis: RedisService;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  const fileOf = (id: string) => path.join(p.config.dataDir, 'films', id, 'movie.mp4');
  const mpvPlaylist = async () => {
    const c = await MpvClient.connect(path.join(p.config.dataDir, 'mpv.sock'));
    try {
      return (await c.playlist()).map((e) => e.filename);
    } finally {
      c.close();
    }
  };
  const status = () => p.pipeline.status();
  const stateOf = async (id: string) => (await status()).jobs.find((j) => j.id === id)?.state;
  const exists = async (key: string) =>
    s3
      .client()
      .send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))
      .then(() => true)
      .catch(() => false);
  const readMeta = async (id: string): Promise<FilmMeta> =>
    filmMetaSchema.parse(
      JSON.parse(
        (await (await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }))).Body?.transformToString()) ??
          '',
      ),
    );
  /** What the gallery does for an admin hide: meta.json rewritten with hidden: true. */
  const hideInBucket = async (id: string) => {
    const meta = { ...(await readMeta(id)), hidden: true };
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta, Body: JSON.stringify(meta) }));
  };
  /** What the gallery does for an owner removal: the tombstone, then the film's objects deleted. */
  const removeInBucket = async (id: string) => {
    const keys = movieKeys(id);
    const tombstone = { id, removedAt: new Date().toISOString(), by: 'owner' };
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: keys.removed, Body: JSON.stringify(tombstone) }));
    for (const key of [keys.meta, keys.video, keys.poster, keys.preview]) {
      await s3.client().send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
    }
  };
  const publishedFilm = async (title: string) => {
    const pkg = await writePackage(p.config.inboxDir, { frames: 6, publish: 'public', title });
    await waitFor(
      `${title} uploaded and on screen`,
      async () => (await stateOf(pkg.id)) === 'done' && (await mpvPlaylist()).includes(fileOf(pkg.id)),
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    return pkg;
  };

  beforeAll(async () => {
    dir = await tempDir('proc-removal');
    s3 = await startS3();
    redis = await startRedis();
    const config = loadConfig({
      ...s3.env(),
      REDIS_URL: redis.url,
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_FULLSCREEN: 'false',
      MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      // Long enough that only a Redis reconnect (or a notice) can explain what a test sees.
      RECONCILE_SECONDS: '3600',
      UPLOAD_RETRY_MAX_SECONDS: '1',
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    p = await startProcessor(config, { logger: pino({ level: 'debug' }, sink) });
  });

  afterAll(async () => {
    await p?.close();
    await redis?.close();
    await s3?.close();
    await dir?.remove();
  });

  it('a hide made while Redis is down leaves the big screen once Redis is back', async () => {
    const { id } = await publishedFilm('hidden while redis is down');
    await redis.kill();
    // The gallery's notice cannot go out: only the bucket knows.
    await hideInBucket(id);
    await redis.start();
    await waitFor('the hidden film to leave mpv', async () => !(await mpvPlaylist()).includes(fileOf(id)), { timeoutMs: 30_000 });
    expect((await status()).playlist).not.toContain(id);
    // The pass logs once it is through all films, a moment after mpv has changed.
    const pass = await waitFor('the pass to be logged', () =>
      logs.find((l) => l.event === 'reconcile.done' && (l.hidden as string[] | undefined)?.includes(id)),
    );
    expect(pass.why).toBe('redis reconnected');
    // A hide is not a removal: the film stays on this machine for an unhide.
    await readFile(fileOf(id));
  });

  it("an unhide made while Redis is down brings the film back; an operator's take-down stays", async () => {
    const moderated = await publishedFilm('hidden, then unhidden while redis is down');
    const operator = await publishedFilm('taken down by an operator');
    const pub = new Redis(redis.url);
    try {
      await pub.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.hidden', id: moderated.id }));
    } finally {
      pub.disconnect();
    }
    await hideInBucket(moderated.id);
    await waitFor('the hidden film to leave mpv', async () => !(await mpvPlaylist()).includes(fileOf(moderated.id)), { timeoutMs: 30_000 });
    const res = await fetch(`${p.url}/api/films/${operator.id}/remove`, { method: 'POST' });
    expect(res.status).toBe(200);
    await redis.kill();
    const meta = { ...(await readMeta(moderated.id)), hidden: false };
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(moderated.id).meta, Body: JSON.stringify(meta) }));
    await redis.start();
    await waitFor('the unhidden film back in mpv', async () => (await mpvPlaylist()).includes(fileOf(moderated.id)), { timeoutMs: 30_000 });
    // The pass logs once it is through all films.
    const pass = await waitFor('the pass to be logged', () =>
      logs.find((l) => l.event === 'reconcile.done' && (l.shown as string[] | undefined)?.includes(moderated.id)),
    );
    expect(pass.why).toBe('redis reconnected');
    expect(await mpvPlaylist()).not.toContain(fileOf(operator.id));
  });

  it("an owner's removal notice takes the film off the screen and deletes the processor's copy; re-delivery does not bring it back", async () => {
    const pkg = await publishedFilm('removed by its owner');
    const { id } = pkg;
    await removeInBucket(id);
    const pub = new Redis(redis.url);
    try {
      await pub.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.removed', id, at: new Date().toISOString() }));
    } finally {
      pub.disconnect();
    }
    await waitFor('the removed film to be gone', async () => (await stateOf(id)) === 'removed', { timeoutMs: 30_000 });
    expect(await mpvPlaylist()).not.toContain(fileOf(id));
    expect(await listDir(path.join(p.config.dataDir, 'films'))).not.toContain(id);

    // The station delivers the same package again (a retry): dropped, nothing rendered or uploaded.
    await writePackage(p.config.inboxDir, { id, frames: 6, publish: 'public', title: 'removed by its owner' });
    await waitFor('the re-delivery to be dropped', () => logs.some((l) => l.event === 'package.removed_film' && l.id === id), {
      timeoutMs: 30_000,
    });
    expect(await stateOf(id)).toBe('removed');
    expect(await listDir(path.join(p.config.dataDir, 'films'))).not.toContain(id);
    expect(await exists(movieKeys(id).video)).toBe(false);
    expect(await exists(movieKeys(id).meta)).toBe(false);
    expect((await status()).playlist).not.toContain(id);

    // Nobody can undo a removal: an unhide notice is ignored for it.
    const again = new Redis(redis.url);
    try {
      await again.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.unhidden', id }));
      // A later notice is handled after this one (one subscriber, in order): its effect shows the first was done.
      const { id: probe } = await publishedFilm('after the unhide');
      await again.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.hidden', id: probe }));
      await waitFor('the later notice to be applied', async () => !(await status()).playlist.includes(probe), { timeoutMs: 30_000 });
    } finally {
      again.disconnect();
    }
    expect((await status()).playlist).not.toContain(id);
    expect(await stateOf(id)).toBe('removed');
  });

  it('a removal made while Redis is down deletes the copy here on reconnect', async () => {
    const { id } = await publishedFilm('removed while redis is down');
    await redis.kill();
    await removeInBucket(id);
    await redis.start();
    await waitFor('the removed film to be gone', async () => (await stateOf(id)) === 'removed', { timeoutMs: 30_000 });
    expect(await mpvPlaylist()).not.toContain(fileOf(id));
    expect(await listDir(path.join(p.config.dataDir, 'films'))).not.toContain(id);
  });

  it("a removal also deletes a quarantined package's frames", async () => {
    const { id } = await writePackage(p.config.inboxDir, {
      frames: 4,
      publish: 'public',
      tamper: async (d) => {
        const { rename: mv } = await import('node:fs/promises');
        await mv(path.join(d, 'PUBLISH'), path.join(d, 'NOPUBLISH'));
      },
    });
    await waitFor('the package to be quarantined', async () => (await stateOf(id)) === 'quarantined', { timeoutMs: 30_000 });
    expect(await listDir(path.join(p.config.dataDir, 'quarantine'))).toContain(id);
    await removeInBucket(id);
    const pub = new Redis(redis.url);
    try {
      await pub.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.removed', id }));
    } finally {
      pub.disconnect();
    }
    await waitFor('the removal to be applied', async () => (await stateOf(id)) === 'removed', { timeoutMs: 30_000 });
    expect(await listDir(path.join(p.config.dataDir, 'quarantine'))).not.toContain(id);
  });

  it('a package whose id has a tombstone is never rendered, shown or uploaded', async () => {
    // A processor that never had the film (or lost its job store) receives it after the removal.
    const id = newId();
    const tombstone = { id, removedAt: new Date().toISOString(), by: 'owner' };
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).removed, Body: JSON.stringify(tombstone) }));
    await writePackage(p.config.inboxDir, { id, frames: 6, publish: 'public', title: 'x' });
    await waitFor('the package to be dropped as removed', async () => (await stateOf(id)) === 'removed', { timeoutMs: 30_000 });
    expect(logs.some((l) => l.event === 'render.started' && l.id === id)).toBe(false);
    expect(await listDir(path.join(p.config.dataDir, 'films'))).not.toContain(id);
    expect(await exists(movieKeys(id).video)).toBe(false);
    expect((await status()).playlist).not.toContain(id);
  });
});

describe('periodic reconciliation without Redis', () => {
  let dir: TempDir;
  let s3: S3Service;
  let p: Processor;

  beforeAll(async () => {
    dir = await tempDir('proc-reconcile');
    s3 = await startS3();
    p = await startProcessor(
      loadConfig({
        ...s3.env(),
        PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
        PROCESSOR_PORT: '0',
        TITLE_SECONDS: '0.5',
        RENDER_THREADS: '1',
        RENDER_PREVIEW: 'false',
        RECONCILE_SECONDS: '1',
      }),
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await p?.close();
    await s3?.close();
    await dir?.remove();
  });

  it('takes a film hidden in the bucket off the playlist within the interval', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 6, publish: 'public', title: 'periodic' });
    const jobState = async () => (await p.pipeline.status()).jobs.find((j) => j.id === id)?.state;
    await waitFor('the film to be uploaded', async () => (await jobState()) === 'done', { timeoutMs: 60_000, intervalMs: 100 });
    expect((await p.pipeline.status()).playlist).toContain(id);
    const client = s3.client();
    const body = await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }))).Body?.transformToString();
    const meta = { ...JSON.parse(body ?? '{}'), hidden: true };
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta, Body: JSON.stringify(meta) }));
    await waitFor('the hidden film to leave the playlist', async () => !(await p.pipeline.status()).playlist.includes(id), {
      timeoutMs: 30_000,
    });
  });
});
