import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@stop-motion/kit';
import type { Sharp, SharpOptions } from 'sharp';
import type { Logger } from './log.js';

/** One thumbnail of one frame: libvips past this is stuck. */
const THUMBNAIL_TIMEOUT_SECONDS = 15;
/** A frame larger than this (8K) is no camera frame; refused before it is decoded. */
const MAX_FRAME_PIXELS = 7680 * 4320;
/** JPEG quality of a strip thumbnail (libjpeg's 1–100 scale). */
const THUMBNAIL_QUALITY = 75;

type SharpFactory = (input: string | Buffer, options: SharpOptions) => Sharp;
let libvips: Promise<SharpFactory> | undefined;

/**
 * sharp's native part, loaded on first use: on a machine it has no build for, the
 * station still starts and the strip shows full frames (each thumbnail fails, saying why).
 */
function loadLibvips(): Promise<SharpFactory> {
  libvips ??= import('sharp').then(({ default: sharp }) => {
    // Frames are read once each, so libvips' operation cache would only hold memory; one
    // thread per image keeps a thumbnail from taking every core from a capture.
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return libvips;
}

/**
 * A small JPEG of a frame for the strip, made in this process by libvips: it decodes
 * the JPEG already shrunk (DCT scaling) and takes a few milliseconds, where an ffmpeg
 * process took over 100 ms of CPU per frame and slowed the capture beside it.
 */
export async function makeThumbnail(source: string | Buffer, width: number): Promise<Buffer> {
  try {
    const sharp = await loadLibvips();
    return await sharp(source, { failOn: 'error', limitInputPixels: MAX_FRAME_PIXELS })
      .resize({ width, withoutEnlargement: true })
      .jpeg({ quality: THUMBNAIL_QUALITY })
      .timeout({ seconds: THUMBNAIL_TIMEOUT_SECONDS })
      .toBuffer();
  } catch (err) {
    const what = typeof source === 'string' ? path.basename(source) : 'a frame';
    throw new Error(`no thumbnail of ${what}: ${(err as Error).message}`);
  }
}

/**
 * Small JPEGs for the film strip, made once per frame version (one at a time) and
 * cached on disk; captures never wait for them.
 */
export class Thumbnailer {
  private queue: Promise<unknown> = Promise.resolve();
  private inflight = new Map<string, Promise<Buffer>>();
  private stopped = false;

  private readonly make: (source: string | Buffer, width: number) => Promise<Buffer>;

  constructor(
    private readonly options: {
      dir: string;
      width?: number;
      log: Logger;
      /** Makes one thumbnail; `makeThumbnail` unless a test counts the calls. */
      make?: (source: string | Buffer, width: number) => Promise<Buffer>;
    },
  ) {
    this.make = options.make ?? makeThumbnail;
  }

  /** The thumbnail for a frame file, made on first use. */
  async get(movieId: string, source: string): Promise<Buffer> {
    const cached = await this.cachePath(movieId, source);
    const hit = await readFile(cached).catch(() => null);
    if (hit) return hit;
    const pending = this.inflight.get(cached);
    if (pending !== undefined) return pending;
    const job = this.enqueue(() => this.fromFile(source, cached)).finally(() => this.inflight.delete(cached));
    this.inflight.set(cached, job);
    return job;
  }

  /**
   * Starts the thumbnail of a frame being stored from the bytes in memory, beside the
   * write; `stored` is called once the frame file is on disk, and a request for it
   * from then on waits for this one instead of making another. Errors are only logged.
   */
  fromCapture(jpeg: Buffer): { stored(movieId: string, source: string): void } {
    const made = this.stopped ? Promise.reject(new Error('thumbnails are stopped')) : this.make(jpeg, this.options.width ?? 240);
    made.catch(() => undefined);
    return {
      stored: (movieId, source) => {
        this.adopt(movieId, source, made).catch((err: Error) =>
          this.options.log.debug({ event: 'thumb.failed', err: err.message }, 'thumbnail failed'),
        );
      },
    };
  }

  private async adopt(movieId: string, source: string, made: Promise<Buffer>): Promise<void> {
    const cached = await this.cachePath(movieId, source);
    if (this.inflight.has(cached)) return;
    const job = this.enqueue(async () => {
      const data = await made;
      await this.save(cached, data);
      return data;
    }).finally(() => this.inflight.delete(cached));
    this.inflight.set(cached, job);
    await job;
  }

  /** One cache file per frame version: undo and a new capture reuse a frame's name. */
  private async cachePath(movieId: string, source: string): Promise<string> {
    const s = await stat(source);
    const name = `${path.basename(source, '.jpg')}-${Math.floor(s.mtimeMs)}-${s.size}.jpg`;
    return path.join(this.options.dir, movieId, name);
  }

  /** Starts no other thumbnail and waits for the queue, so nothing writes to the cache after stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  async removeMovie(movieId: string): Promise<void> {
    await rm(path.join(this.options.dir, movieId), { recursive: true, force: true });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async fromFile(source: string, dest: string): Promise<Buffer> {
    if (this.stopped) throw new Error('thumbnails are stopped');
    const data = await this.make(source, this.options.width ?? 240);
    await this.save(dest, data);
    return data;
  }

  private async save(dest: string, data: Buffer): Promise<void> {
    if (this.stopped) throw new Error('thumbnails are stopped');
    await mkdir(path.dirname(dest), { recursive: true });
    // A cache: made again when lost, so atomic is enough (no fsync on the SD card).
    await writeFileAtomic(dest, data);
  }
}
