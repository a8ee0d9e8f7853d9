import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type FilmMeta, filmMetaSchema, movieKeys } from '@stop-motion/protocol';
import type { S3Config } from './config.js';

/** Objects under a film's prefix never change once written; meta.json may (moderation), so it is cached briefly. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const META_CACHE = 'public, max-age=60';

export function createS3(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Our own queue retries with backoff; the SDK should fail fast and report.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 120_000 },
    ...(config.accessKeyId && config.secretAccessKey
      ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
      : {}),
  });
}

/** Exponential backoff with a little jitter, capped. */
export function backoffMs(attempt: number, capMs: number, random = Math.random): number {
  const base = Math.min(capMs, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(capMs, base * (0.8 + 0.4 * random())));
}

export class Uploader {
  constructor(
    protected readonly s3: S3Client,
    protected readonly bucket: string,
  ) {}

  async putFile(key: string, file: string, contentType: string, cacheControl: string): Promise<void> {
    const { size } = await stat(file);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: contentType,
        CacheControl: cacheControl,
      }),
    );
  }

  /** The film's meta.json as stored, or null when it is missing or not a valid one. */
  async readMeta(id: string): Promise<FilmMeta | null> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: movieKeys(id).meta }));
      const parsed = filmMetaSchema.safeParse(JSON.parse((await res.Body?.transformToString()) ?? ''));
      return parsed.success && parsed.data.id === id ? parsed.data : null;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err instanceof SyntaxError || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  /**
   * meta.json goes last, and only once: a valid one already there (a crash after writing
   * it) is left alone, so a moderator's `hidden` is never overwritten; a broken one (an
   * upload cut off on a store that keeps partial objects) is replaced.
   */
  async putMeta(meta: FilmMeta): Promise<'written' | 'present'> {
    const key = movieKeys(meta.id).meta;
    if (await this.readMeta(meta.id)) return 'present';
    const body = JSON.stringify(filmMetaSchema.parse(meta));
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: Buffer.byteLength(body),
        ContentType: 'application/json; charset=utf-8',
        CacheControl: META_CACHE,
      }),
    );
    return 'written';
  }
}
