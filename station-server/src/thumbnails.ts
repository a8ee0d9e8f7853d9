import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@stop-motion/kit';
import type { Logger } from './log.js';

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
  private running: ChildProcess | null = null;
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
    this.running?.kill('SIGKILL');
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
    const data = await new Promise<Buffer>((resolve, reject) => {
      const { command, args } = thumbnailCommand(source, this.options.width ?? 240);
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.running = child;
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => {
        err = (err + c.toString('utf8')).slice(-500);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        this.running = null;
        const data = Buffer.concat(out);
        if (code === 0 && data.length > 0) resolve(data);
        else reject(new Error(`ffmpeg thumbnail failed (${code}): ${err.trim()}`));
      });
    });
    if (this.stopped) throw new Error('thumbnails are stopped');
    await mkdir(path.dirname(dest), { recursive: true });
    // A cache: made again when lost, so atomic is enough (no fsync on the SD card).
    await writeFileAtomic(dest, data);
    return data;
  }
}
