import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisService,
  redisCommand,
  type S3Service,
  startMpv,
  startRedis,
  startRsyncDaemon,
  startS3,
  tempDir,
} from '../src/harness/index.js';

const execFileP = promisify(execFile);

describe('redis-server', () => {
  let redis: RedisService;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('answers ping, set and get', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    await client.set('greeting', 'שלום');
    expect(await client.get('greeting')).toBe('שלום');
    client.disconnect();
  });

  it('keeps nothing on disk and comes back after a kill', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    client.disconnect();
    await redis.kill();
    expect(redis.running()).toBe(false);
    await redis.start();
    expect(await redisCommand(redis.port, 'PING')).toBe('+PONG');
  });
});

describe('s3rver', () => {
  let s3: S3Service;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const readBack = async (key: string) => {
    const got = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  };

  it('stores a Buffer and a file stream byte-identically', async () => {
    const body = randomBytes(300_000);
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/buffer.bin', Body: body }));
    expect((await readBack('a/buffer.bin')).equals(body)).toBe(true);

    const dir = await tempDir('s3stream');
    const file = path.join(dir.path, 'f.bin');
    const fileBody = randomBytes(2_000_000);
    await writeFile(file, fileBody);
    await s3
      .client()
      .send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/stream.bin', Body: createReadStream(file), ContentLength: fileBody.length }));
    expect((await readBack('a/stream.bin')).equals(fileBody)).toBe(true);
    await dir.remove();
  });

  it('takes a 12 MB multipart upload', async () => {
    const body = randomBytes(12 * 1024 * 1024);
    const upload = new Upload({
      client: s3.client(),
      params: { Bucket: s3.bucket, Key: 'big/12mb.bin', Body: body },
      partSize: 5 * 1024 * 1024,
    });
    await upload.done();
    expect((await readBack('big/12mb.bin')).equals(body)).toBe(true);
  });

  it('lists 2,500 keys across pages', async () => {
    const client = s3.client();
    const keys = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(5, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: Key }))));
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'many/', ContinuationToken: token }));
      pages++;
      for (const o of page.Contents ?? []) if (o.Key) seen.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('serves a presigned GET to plain fetch, with CORS for browsers', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'p/hello.txt', Body: 'hello', ContentType: 'text/plain' }));
    const url = await getSignedUrl(s3.client(), new GetObjectCommand({ Bucket: s3.bucket, Key: 'p/hello.txt' }), { expiresIn: 600 });
    const res = await fetch(url, { headers: { Origin: 'http://example.test' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(new URL(url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('mpv', () => {
  it('loads a file and reports it in its playlist', async () => {
    const mpv = await startMpv();
    const dir = await tempDir('mpvclip');
    try {
      const clip = path.join(dir.path, 'clip.mp4');
      await execFileP('ffmpeg', [
        '-nostdin',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x120:rate=10:duration=1',
        '-pix_fmt',
        'yuv420p',
        clip,
      ]);
      const client = await mpv.client();
      await client.command('loadfile', clip, 'append-play');
      const playlist = await client.playlist();
      expect(playlist.map((e) => e.filename)).toEqual([clip]);
      client.close();
    } finally {
      await mpv.stop();
      await dir.remove();
    }
  });

  it('writes the frames it shows as images with --vo=image', async () => {
    const mpv = await startMpv({ vo: 'image' });
    const dir = await tempDir('mpvimg');
    try {
      const clip = path.join(dir.path, 'clip.mp4');
      await execFileP('ffmpeg', [
        '-nostdin',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x120:rate=10:duration=0.5',
        '-pix_fmt',
        'yuv420p',
        clip,
      ]);
      const client = await mpv.client();
      await client.command('loadfile', clip, 'replace');
      const { readdir } = await import('node:fs/promises');
      const { waitFor } = await import('../src/harness/process.js');
      const images = await waitFor('mpv to write frames', async () => {
        const files = await readdir(mpv.imageDir ?? '').catch(() => []);
        return files.length >= 3 ? files : undefined;
      });
      expect(images.every((f) => f.endsWith('.png'))).toBe(true);
      client.close();
    } finally {
      await mpv.stop();
      await dir.remove();
    }
  });
});

describe('rsync daemon', () => {
  it('gives each module its own user: one secret does not open another module', async () => {
    const daemon = await startRsyncDaemon({
      modules: [
        { module: 'station-a', user: 'station-a', secret: 'secret-a' },
        { module: 'station-b', user: 'station-b', secret: 'secret-b' },
      ],
    });
    const dir = await tempDir('rsyncsrc');
    try {
      await writeFile(path.join(dir.path, 'frame.jpg'), 'a frame');
      const [a, b] = daemon.modules;
      if (!a || !b) throw new Error('two modules expected');
      expect(daemon.url).toBe(a.url);
      const send = (url: string, secret: string) =>
        execFileP('rsync', ['-a', `${dir.path}/`, `${url}pkg/`], { env: { ...process.env, RSYNC_PASSWORD: secret } });
      await send(a.url, 'secret-a');
      await send(b.url, 'secret-b');
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(path.join(a.modulePath, 'pkg'))).toEqual(['frame.jpg']);
      expect(await readdir(path.join(b.modulePath, 'pkg'))).toEqual(['frame.jpg']);
      await expect(send(b.url, 'secret-a')).rejects.toThrow(/auth failed/);
      await expect(send(b.url.replace('station-b@', 'station-a@'), 'secret-a')).rejects.toThrow(/auth failed/);
    } finally {
      await daemon.close();
      await dir.remove();
    }
  });

  it('accepts the right secret and refuses a wrong one', async () => {
    const daemon = await startRsyncDaemon({ user: 'station1', secret: 'right-secret' });
    const dir = await tempDir('rsyncsrc');
    try {
      await writeFile(path.join(dir.path, 'frame.jpg'), 'not really a jpeg');
      const send = (secret: string) =>
        execFileP('rsync', ['-a', `${dir.path}/`, `${daemon.url}pkg/`], { env: { ...process.env, RSYNC_PASSWORD: secret } });
      await send('right-secret');
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(path.join(daemon.modulePath, 'pkg', 'frame.jpg'), 'utf8')).toBe('not really a jpeg');
      await expect(send('wrong-secret')).rejects.toThrow(/auth failed/);
    } finally {
      await daemon.close();
      await dir.remove();
    }
  });
});
