import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { runProgram, stderrTail, writeFileAtomic } from '@stop-motion/kit';
import type { Logger } from './log.js';

/** One thumbnail of one frame: ffmpeg past this is hung or stopped. */
const THUMBNAIL_TIMEOUT_MS = 15_000;
/** A 240 px JPEG is a few KB; far more on stdout is no thumbnail. */
const MAX_THUMBNAIL_BYTES = 4 * 1024 * 1024;

/** ffmpeg arguments for a small strip thumbnail, written to stdout. */
export function thumbnailArgs(source: string, width: number, quality = 6): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-i',
    source,
    '-vf',
    `scale=${width}:-2`,
    '-frames:v',
    '1',
    '-q:v',
    String(quality),
    '-f',
    'mjpeg',
    'pipe:1',
  ];
}

/** Thumbnails run at low priority so they never slow a capture or the live view. */
export function thumbnailCommand(source: string, width: number): { command: string; args: string[] } {
  return { command: 'nice', args: ['-n', '10', 'ffmpeg', ...thumbnailArgs(source, width)] };
}

/**
 * Small JPEGs for the film strip, made once per frame version by ffmpeg (another
 * process, one at a time) and cached on disk; captures never wait for them.
 */
export class Thumbnailer {
  private queue: Promise<unknown> = Promise.resolve();
  private inflight = new Map<string, Promise<Buffer>>();
  /** Stops the running ffmpeg (and starts no other) when the station stops. */
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly options: { dir: string; width?: number; log: Logger }) {}

  /** The thumbnail for a frame file, made on first use. */
  async get(movieId: string, source: string): Promise<Buffer> {
    const s = await stat(source);
    const name = `${path.basename(source, '.jpg')}-${Math.floor(s.mtimeMs)}-${s.size}.jpg`;
    const cached = path.join(this.options.dir, movieId, name);
    const hit = await readFile(cached).catch(() => null);
    if (hit) return hit;
    const pending = this.inflight.get(cached);
    if (pending !== undefined) return pending;
    const job = this.enqueue(() => this.make(source, cached)).finally(() => this.inflight.delete(cached));
    this.inflight.set(cached, job);
    return job;
  }

  /** Makes it in the background (after a capture), errors only logged. */
  prefetch(movieId: string, source: string): void {
    this.get(movieId, source).catch((err: Error) =>
      this.options.log.debug({ event: 'thumb.failed', err: err.message }, 'thumbnail failed'),
    );
  }

  /** Ends the running ffmpeg and waits for the queue, so nothing writes to the cache after stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
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

  private async make(source: string, dest: string): Promise<Buffer> {
    if (this.stopped) throw new Error('thumbnails are stopped');
    const { command, args } = thumbnailCommand(source, this.options.width ?? 240);
    const r = await runProgram(command, args, {
      timeoutMs: THUMBNAIL_TIMEOUT_MS,
      maxStdoutBytes: MAX_THUMBNAIL_BYTES,
      signal: this.abort.signal,
    });
    const data = r.stdoutBytes;
    if (data.length === 0) throw new Error(`ffmpeg made no thumbnail of ${path.basename(source)}: ${stderrTail(r.stderr) || 'no output'}`);
    if (this.stopped) throw new Error('thumbnails are stopped');
    await mkdir(path.dirname(dest), { recursive: true });
    // A cache: made again when lost, so atomic is enough (no fsync on the SD card).
    await writeFileAtomic(dest, data);
    return data;
  }
}
