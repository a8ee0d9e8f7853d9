import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { backoffMs as backoff, createS3Client, withDeadline } from '@stop-motion/kit';
import { type FilmMeta, filmMetaSchema, movieKeys, type Refusal, refusalSchema } from '@stop-motion/protocol';
import type { S3Config } from './config.js';

/** Objects under a film's prefix never change once written; meta.json may (moderation), so it is cached briefly. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const META_CACHE = 'public, max-age=60';

/** Deadlines of S3 calls: small ones, and uploads (which get more time the bigger the file). */
export interface S3Deadlines {
  /** A call that moves little data (meta.json, a HEAD), and the longest silence within any call. */
  callMs: number;
  /** The slowest upload rate still worth waiting for, in bytes per second. */
  minBytesPerSecond: number;
}

export const DEFAULT_S3_DEADLINES: S3Deadlines = { callMs: 30_000, minBytesPerSecond: 64 * 1024 };

/** The whole-upload deadline of a file: the call deadline plus the time its bytes take at the slowest rate accepted. */
export function uploadDeadlineMs(bytes: number, { callMs, minBytesPerSecond }: S3Deadlines): number {
  return callMs + Math.ceil((bytes / minBytesPerSecond) * 1000);
}

export function createS3(config: S3Config, deadlines: S3Deadlines = DEFAULT_S3_DEADLINES): S3Client {
  // Our own queue retries with backoff; the SDK should fail fast and report.
  return createS3Client(config, { requestTimeoutMs: deadlines.callMs, connectionTimeoutMs: 5000, maxAttempts: 1 });
}

/** Upload retries: one second doubling per attempt (1-based), ±20 %, capped. */
export function backoffMs(attempt: number, capMs: number, random = Math.random): number {
  return backoff(attempt - 1, { minMs: 1000, maxMs: capMs, jitter: 0.2 }, random);
}

export class Uploader {
  constructor(
    protected readonly s3: S3Client,
    protected readonly bucket: string,
    protected readonly deadlines: S3Deadlines = DEFAULT_S3_DEADLINES,
  ) {}

  async putFile(key: string, file: string, contentType: string, cacheControl: string): Promise<void> {
    const { size } = await stat(file);
    await this.sendFile(key, file, size, { ContentType: contentType, CacheControl: cacheControl });
  }

  /** One PUT of a file, streamed, under a deadline that grows with its size. */
  protected async sendFile(
    key: string,
    file: string,
    size: number,
    extra: Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body' | 'ContentLength'>,
  ): Promise<void> {
    const body = createReadStream(file);
    try {
      await withDeadline(`S3 PUT ${key}`, uploadDeadlineMs(size, this.deadlines), (abortSignal) =>
        this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size, ...extra }), {
          abortSignal,
        }),
      );
    } finally {
      body.destroy();
    }
  }

  /** The film's meta.json as stored, or null when it is missing or not a valid one. */
  async readMeta(id: string): Promise<FilmMeta | null> {
    try {
      const text = await withDeadline(`S3 GET ${movieKeys(id).meta}`, this.deadlines.callMs, async (abortSignal) => {
        const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: movieKeys(id).meta }), { abortSignal });
        return (await res.Body?.transformToString()) ?? '';
      });
      const parsed = filmMetaSchema.safeParse(JSON.parse(text));
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
    if (await this.readMeta(meta.id)) return 'present';
    await this.sendMeta(meta);
    return 'written';
  }

  /** `REFUSED`: a film refused in review will never come (see refusals.ts). Small, idempotent. */
  async putRefusal(refusal: Refusal): Promise<void> {
    await this.sendJson(movieKeys(refusal.id).refused, JSON.stringify(refusalSchema.parse(refusal)));
  }

  /** meta.json's one PUT under the call deadline; `condition` is what a write-once store adds (`IfNoneMatch`). */
  protected async sendMeta(meta: FilmMeta, condition: Pick<PutObjectCommandInput, 'IfNoneMatch'> = {}): Promise<void> {
    await this.sendJson(movieKeys(meta.id).meta, JSON.stringify(filmMetaSchema.parse(meta)), condition);
  }

  /** A small JSON object (meta.json, REFUSED), briefly cached, in one PUT under the call deadline. */
  private async sendJson(key: string, body: string, condition: Pick<PutObjectCommandInput, 'IfNoneMatch'> = {}): Promise<void> {
    await withDeadline(`S3 PUT ${key}`, this.deadlines.callMs, (abortSignal) =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: Buffer.byteLength(body),
          ContentType: 'application/json; charset=utf-8',
          CacheControl: META_CACHE,
          ...condition,
        }),
        { abortSignal },
      ),
    );
  }
}
