import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { withDeadline } from '@stop-motion/kit';
import { type ConditionalSupport, type FilmMeta, movieKeys } from '@stop-motion/protocol';
import { sha256File } from './checksum.js';
import type { Job } from './jobs.js';
import type { Logger } from './log.js';
import { DEFAULT_S3_DEADLINES, type S3Deadlines, Uploader } from './upload.js';

/** S3 holds another film (or another version of one) under this id; nothing was written over it. */
export class FilmConflictError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'FilmConflictError';
  }
}

/** The owner removed this film: it must not be uploaded, rendered or shown again. */
export class FilmRemovedError extends Error {
  constructor(readonly id: string) {
    super(`film ${id} was removed by its owner (movies/${id}/REMOVED)`);
    this.name = 'FilmRemovedError';
  }
}

export type { ConditionalSupport } from '@stop-motion/protocol';

/** Where the probe for conditional writes goes: outside `movies/`, so no listing ever sees it. */
export const PROBE_PREFIX = '.stop-motion/write-once-probe-';
/** The SHA-256 of a film object's bytes, kept as its user metadata so a retry can tell its own write. */
export const SHA_METADATA = 'sha256';

interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const status = (err: unknown) => (err as S3ErrorShape).$metadata?.httpStatusCode;
export const isPreconditionFailed = (err: unknown) =>
  status(err) === 412 || (err as S3ErrorShape).name === 'PreconditionFailed' || (err as S3ErrorShape).Code === 'PreconditionFailed';
const isNotFound = (err: unknown) =>
  status(err) === 404 || (err as S3ErrorShape).name === 'NotFound' || (err as S3ErrorShape).name === 'NoSuchKey';

/**
 * An Uploader that never replaces a film's objects. Every PutObject carries
 * `If-None-Match: *` (S3 has honoured it since 2024 and answers 412 when the key exists);
 * a server that ignores it (s3rver, older MinIO) is found out once by a probe, and then
 * every write is preceded by a HEAD of its key. An object that is already there is ours
 * when its recorded SHA-256 matches the local file (a retry after a crash); otherwise the
 * write is refused with FilmConflictError. A film counts as published by its meta.json.
 */
export class WriteOnceUploader extends Uploader {
  private support: ConditionalSupport = 'unknown';
  private probing: Promise<ConditionalSupport> | null = null;

  constructor(
    s3: S3Client,
    bucket: string,
    private readonly log: Logger,
    deadlines: S3Deadlines = DEFAULT_S3_DEADLINES,
  ) {
    super(s3, bucket, deadlines);
  }

  /** A small call (HEAD, DELETE, the probe, meta.json) under the call deadline. */
  private small<T>(what: string, fn: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(what, this.deadlines.callMs, fn);
  }

  get conditionalWrites(): ConditionalSupport {
    return this.support;
  }

  /** Writes a probe object twice with If-None-Match: *; a second success means the header is ignored. */
  detect(): Promise<ConditionalSupport> {
    if (this.support !== 'unknown') return Promise.resolve(this.support);
    this.probing ??= (async () => {
      const key = `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`;
      const put = () =>
        this.small(`S3 PUT ${key}`, (abortSignal) =>
          this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: 'probe', ContentLength: 5, IfNoneMatch: '*' }), {
            abortSignal,
          }),
        );
      try {
        await put();
        try {
          await put();
          this.support = 'unsupported';
        } catch (err) {
          if (!isPreconditionFailed(err)) throw err;
          this.support = 'supported';
        }
        this.log.info({ event: 's3.conditional_writes', supported: this.support === 'supported' }, 's3 conditional writes');
      } catch (err) {
        // S3 away: decide next time; until then every write checks first.
        this.log.debug({ event: 's3.conditional_probe_failed', err: (err as Error).message }, 's3 conditional probe failed');
      } finally {
        await this.small(`S3 DELETE ${key}`, (abortSignal) =>
          this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
        ).catch(() => {});
        this.probing = null;
      }
      return this.support;
    })();
    return this.probing;
  }

  /** The object's recorded SHA-256 ('' when it has none), or null when there is no such object. */
  async head(key: string): Promise<string | null> {
    try {
      const res = await this.small(`S3 HEAD ${key}`, (abortSignal) =>
        this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
      );
      return res.Metadata?.[SHA_METADATA] ?? '';
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async isRemoved(id: string): Promise<boolean> {
    return (await this.head(movieKeys(id).removed)) !== null;
  }

  /**
   * Before a film's first byte goes up: a tombstone means it must never go up, and a
   * meta.json this job did not write means the id belongs to a film published elsewhere.
   */
  async checkBeforeUpload(job: Pick<Job, 'id' | 'uploaded' | 'hasPreview'>): Promise<void> {
    const keys = movieKeys(job.id);
    if (await this.isRemoved(job.id)) throw new FilmRemovedError(job.id);
    // With every other object recorded as ours, a meta.json there is our own (a crash right after writing it).
    const ours = job.uploaded.video && job.uploaded.poster && (job.uploaded.preview || !job.hasPreview);
    if (!ours && (await this.readMeta(job.id)) !== null) {
      throw new FilmConflictError(
        keys.meta,
        `S3 already holds a published film with id ${job.id} (${keys.meta}) that this processor did not upload; nothing was written`,
      );
    }
  }

  private sameOrConflict(key: string, existing: string, sha: string): void {
    if (existing === sha) return;
    throw new FilmConflictError(
      key,
      `S3 already holds ${key} with other content${existing ? '' : ' (without a recorded checksum)'}; it was not replaced`,
    );
  }

  override async putFile(key: string, file: string, contentType: string, cacheControl: string): Promise<void> {
    const [{ size }, sha] = await Promise.all([stat(file), sha256File(file)]);
    if ((await this.detect()) !== 'supported') {
      const existing = await this.head(key);
      // Without a recorded checksum it is the cut-off body of an interrupted write (a
      // store like s3rver keeps those and adds the metadata only at the end): no film
      // has it, as its meta.json is not there (checkBeforeUpload), so it is replaced.
      if (existing === '') this.log.warn({ event: 'upload.replacing_partial', key }, 'upload replacing partial');
      else if (existing !== null) return this.sameOrConflict(key, existing, sha);
    }
    try {
      await this.sendFile(key, file, size, {
        ContentType: contentType,
        CacheControl: cacheControl,
        Metadata: { [SHA_METADATA]: sha },
        IfNoneMatch: '*',
      });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      const existing = await this.head(key);
      if (existing === null) throw err;
      this.sameOrConflict(key, existing, sha);
    }
    await this.undoIfRemoved(key);
  }

  /** An owner's removal that landed while this object went up: take back what was written. */
  private async undoIfRemoved(key: string): Promise<void> {
    const id = key.split('/')[1] ?? '';
    if (!(await this.isRemoved(id))) return;
    await this.small(`S3 DELETE ${key}`, (abortSignal) =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
    );
    throw new FilmRemovedError(id);
  }

  /**
   * meta.json goes last and once. A valid one already there is kept (our own, written
   * just before a crash: checkBeforeUpload has ruled out anyone else's), so a moderator's
   * `hidden` is never overwritten. A broken one can only be replaced where conditional
   * writes are ignored; a store that honours them never keeps a partial object.
   */
  override async putMeta(meta: FilmMeta): Promise<'written' | 'present'> {
    const key = movieKeys(meta.id).meta;
    const support = await this.detect();
    if (await this.readMeta(meta.id)) return 'present';
    try {
      await this.sendMeta(meta, support === 'supported' ? { IfNoneMatch: '*' } : {});
    } catch (err) {
      if (isPreconditionFailed(err) && (await this.readMeta(meta.id))) return 'present';
      throw err;
    }
    await this.undoIfRemoved(key);
    return 'written';
  }
}
