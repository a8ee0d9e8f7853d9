import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client, withDeadline } from '@stop-motion/kit';
import { INVISIBLE_FORMAT_CHARS, MOVIES_PREFIX, movieIdFromMetaKey, movieIdFromRemovedKey, sanitizeTitle } from '@stop-motion/protocol';
import type { GalleryConfig } from './config.js';

/** One `meta.json` in the bucket listing. */
export interface MetaListing {
  id: string;
  key: string;
  etag: string;
}

/** Everything the gallery asks of S3; the only module that talks to the SDK. */
export interface FilmBucket {
  readonly bucket: string;
  /** All `movies/<id>/meta.json` keys with their ETags, every listing page, and the `REMOVED` tombstones seen on the way. */
  listMeta(): Promise<{ items: MetaListing[]; pages: number; removed?: MetaListing[] }>;
  /** Every key under a prefix (one film's objects). */
  listKeys(prefix: string): Promise<string[]>;
  /** Deletes one object; a missing object is not an error. */
  deleteKey(key: string): Promise<void>;
  /** The object's text and ETag, or null when it does not exist. */
  getText(key: string): Promise<{ text: string; etag: string } | null>;
  putJson(key: string, body: string): Promise<void>;
  presignGet(key: string, expiresInSec: number, opts?: { downloadName?: string; cacheSeconds?: number }): Promise<string>;
}

export function createS3ClientFromConfig(c: GalleryConfig): S3Client {
  // A dead S3 must not hold requests for minutes: the last known list is served instead.
  return createS3Client(
    {
      region: c.S3_REGION,
      endpoint: c.S3_ENDPOINT,
      forcePathStyle: c.S3_FORCE_PATH_STYLE,
      accessKeyId: c.AWS_ACCESS_KEY_ID,
      secretAccessKey: c.AWS_SECRET_ACCESS_KEY,
    },
    { connectionTimeoutMs: 3000, requestTimeoutMs: c.S3_TIMEOUT_SECONDS * 1000, maxAttempts: 2 },
  );
}

/**
 * `attachment` with an ASCII fallback name and the exact name in RFC 5987
 * `filename*`, so "הסרט שלי.mp4" arrives as itself and old clients still get a file.
 */
export function contentDisposition(name: string): string {
  const fileName = name.replace(INVISIBLE_FORMAT_CHARS, '');
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\%;]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const fallback = ascii && ascii !== '.mp4' ? ascii : 'film.mp4';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** `<title or id>.mp4` without characters that file systems refuse. */
export function downloadFileName(id: string, title: string | null | undefined): string {
  // Direction controls first: `Movie\u202Egnp.exe` must not arrive as "Movieexe.png".
  const cleaned = (sanitizeTitle(title) ?? '')
    .replace(/[/\\:*?"<>|]/g, ' ')
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[.\s]+/, '')
    .slice(0, 80)
    .trim();
  return `${cleaned || id}.mp4`;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Deadline of one S3 call (a listing page, one GET or PUT, body included). */
export const DEFAULT_S3_TIMEOUT_MS = 5000;

export function createFilmBucket(client: S3Client, bucket: string, timeoutMs = DEFAULT_S3_TIMEOUT_MS): FilmBucket {
  return {
    bucket,
    async listMeta() {
      const items: MetaListing[] = [];
      const removed: MetaListing[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = token;
        const out = await withDeadline('S3 listing', timeoutMs, (abortSignal) =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: MOVIES_PREFIX, ContinuationToken: page, MaxKeys: 1000 }), {
            abortSignal,
          }),
        );
        pages++;
        for (const obj of out.Contents ?? []) {
          if (!obj.Key) continue;
          const etag = obj.ETag ?? `${obj.LastModified?.getTime()}:${obj.Size}`;
          const id = movieIdFromMetaKey(obj.Key);
          if (id) items.push({ id, key: obj.Key, etag });
          const gone = id ? null : movieIdFromRemovedKey(obj.Key);
          if (gone) removed.push({ id: gone, key: obj.Key, etag });
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return { items, pages, removed };
    },
    async listKeys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = token;
        const out = await withDeadline(`S3 listing ${prefix}`, timeoutMs, (abortSignal) =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: page, MaxKeys: 1000 }), {
            abortSignal,
          }),
        );
        for (const obj of out.Contents ?? []) if (obj.Key) keys.push(obj.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async deleteKey(key) {
      try {
        await withDeadline(`S3 DELETE ${key}`, timeoutMs, (abortSignal) =>
          client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async getText(key) {
      try {
        return await withDeadline(`S3 GET ${key}`, timeoutMs, async (abortSignal) => {
          const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
          const text = (await out.Body?.transformToString('utf-8')) ?? '';
          return { text, etag: out.ETag ?? '' };
        });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async putJson(key, body) {
      await withDeadline(`S3 PUT ${key}`, timeoutMs, (abortSignal) =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', CacheControl: 'no-cache' }),
          { abortSignal },
        ),
      );
    },
    presignGet(key, expiresInSec, opts) {
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(opts?.downloadName ? { ResponseContentDisposition: contentDisposition(opts.downloadName) } : {}),
        // A film's media never change under its id; the browser may keep them as long as it reuses this URL.
        ...(opts?.cacheSeconds ? { ResponseCacheControl: `private, max-age=${Math.floor(opts.cacheSeconds)}, immutable` } : {}),
      });
      return getSignedUrl(client, command, { expiresIn: expiresInSec });
    },
  };
}
