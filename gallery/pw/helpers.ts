import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { freePort, type ManagedProcess, type S3Service, spawnManaged, startS3, tempDir, waitFor } from '@stop-motion/e2e/harness';
import type { FilmMeta } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';

const run = promisify(execFile);
const ulid = monotonicFactory();
export const newId = () => ulid();

export interface Media {
  video: Buffer;
  poster: Buffer;
}

/**
 * A 4-second real H.264 film and its poster, made once per spec file; with `audio`,
 * the MP4 also carries one AAC stream (a tone), as the processor's films with a soundtrack do.
 */
export async function makeMedia(opts: { audio?: boolean; seconds?: number } = {}): Promise<Media> {
  const dir = await tempDir('gallery-pw');
  const seconds = opts.seconds ?? 4;
  try {
    const video = path.join(dir.path, 'movie.mp4');
    const poster = path.join(dir.path, 'poster.jpg');
    const sound = opts.audio
      ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:a', 'aac', '-b:a', '96k']
      : ['-an'];
    await run('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=320x240:rate=10:duration=${seconds}`,
      ...sound,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-profile:v',
      'high',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      video,
    ]);
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', poster]);
    return { video: await readFile(video), poster: await readFile(poster) };
  } finally {
    await dir.remove();
  }
}

export function meta(id: string, over: Partial<FilmMeta> = {}): FilmMeta {
  return {
    id,
    title: `Film ${id.slice(-6)}`,
    stationId: 'station-1',
    createdAt: new Date().toISOString(),
    durationSec: 4,
    fps: 10,
    frameCount: 40,
    width: 320,
    height: 240,
    ...over,
  };
}

/** As the processor does it: video, poster, meta.json last. */
export async function upload(s3: S3Client, bucket: string, m: FilmMeta, media: Media): Promise<void> {
  const prefix = `movies/${m.id}/`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}movie.mp4`, Body: media.video, ContentType: 'video/mp4' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}poster.jpg`, Body: media.poster, ContentType: 'image/jpeg' }));
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `${prefix}meta.json`, Body: JSON.stringify(m), ContentType: 'application/json' }),
  );
}

export interface Site {
  url: string;
  s3: S3Service;
  proc: ManagedProcess;
  /** Stops the gallery (SIGTERM) and starts it again on the same port, as a deploy does. */
  stopGallery(): Promise<void>;
  startGallery(): Promise<void>;
  close(): Promise<void>;
}

/** The codec of each stream of an MP4, as ffprobe reads it (e.g. `['h264', 'aac']`). */
export async function streamCodecs(video: Buffer): Promise<string[]> {
  const dir = await tempDir('gallery-probe');
  try {
    const file = path.join(dir.path, 'movie.mp4');
    await writeFile(file, video);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } finally {
    await dir.remove();
  }
}

/** s3rver and the gallery as a real process (memory cache unless `env` names a REDIS_URL), on free ports. */
export async function startSite(prepare?: (s3: S3Service) => Promise<void>, env: Record<string, string> = {}): Promise<Site> {
  const s3 = await startS3();
  await prepare?.(s3);
  const port = await freePort();
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const spawn = async () => {
    let url: string | undefined;
    const proc = spawnManaged({
      name: 'gallery',
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', main],
      env: { ...process.env, ...s3.env(), GALLERY_HOST: '127.0.0.1', GALLERY_PORT: String(port), LOG_LEVEL: 'info', ...env },
      onLine: (line) => {
        if (line.includes('"msg":"listening"')) url = (JSON.parse(line) as { url: string }).url;
      },
    });
    try {
      await waitFor('the gallery to listen', () => url, { timeoutMs: 30_000, failIf: () => (proc.running() ? undefined : proc.output()) });
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return { proc, url: url as string };
  };
  let first: Awaited<ReturnType<typeof spawn>>;
  try {
    first = await spawn();
  } catch (err) {
    await s3.close();
    throw err;
  }
  const site: Site = {
    url: first.url,
    s3,
    proc: first.proc,
    async stopGallery() {
      await site.proc.stop();
    },
    async startGallery() {
      site.proc = (await spawn()).proc;
    },
    async close() {
      await site.proc.stop();
      await s3.close();
    },
  };
  return site;
}
