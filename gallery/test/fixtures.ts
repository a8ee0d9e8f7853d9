import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { tempDir } from '@stop-motion/e2e';
import { type FilmMeta, movieKeys } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';

const run = promisify(execFile);

export interface MediaFixture {
  video: Buffer;
  poster: Buffer;
  remove(): Promise<void>;
}

/** ffmpeg argument arrays for a tiny real film and its poster; built here, spawned without a shell. */
export function fixtureArgs(dir: string): { video: string[]; poster: string[] } {
  return {
    video: [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10:duration=3',
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
      path.join(dir, 'movie.mp4'),
    ],
    poster: ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120', '-frames:v', '1', path.join(dir, 'poster.jpg')],
  };
}

/** One tiny real MP4 + JPEG, made once per test file. */
export async function makeMedia(): Promise<MediaFixture> {
  const dir = await tempDir('gallery-media');
  const args = fixtureArgs(dir.path);
  await run('ffmpeg', args.video);
  await run('ffmpeg', args.poster);
  return {
    video: await readFile(path.join(dir.path, 'movie.mp4')),
    poster: await readFile(path.join(dir.path, 'poster.jpg')),
    remove: () => dir.remove(),
  };
}

const ulid = monotonicFactory();
export const newId = (at?: number) => ulid(at);

export function sampleMeta(id: string, over: Partial<FilmMeta> = {}): FilmMeta {
  return {
    id,
    title: `Film ${id.slice(-6)}`,
    stationId: 'station-1',
    createdAt: new Date().toISOString(),
    durationSec: 3,
    fps: 10,
    frameCount: 30,
    width: 160,
    height: 120,
    ...over,
  };
}

/** Uploads a film as the processor does: video, poster, then meta.json last. */
export async function uploadFilm(
  s3: S3Client,
  bucket: string,
  meta: FilmMeta,
  media?: MediaFixture,
  opts: { metaOnly?: boolean } = {},
): Promise<void> {
  const keys = movieKeys(meta.id);
  if (media && !opts.metaOnly) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.video, Body: media.video, ContentType: 'video/mp4' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.poster, Body: media.poster, ContentType: 'image/jpeg' }));
  }
  await putMeta(s3, bucket, meta);
}

export async function putMeta(s3: S3Client, bucket: string, meta: FilmMeta): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: movieKeys(meta.id).meta, Body: JSON.stringify(meta), ContentType: 'application/json' }),
  );
}

/** Counts S3 commands by name, as a middleware on the client the gallery uses. */
export function countRequests(client: S3Client): { counts: Record<string, number>; reset(): void; total(): number } {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      // Presigning runs the stack too but never sends: count only what got an HTTP answer.
      const status = (result.response as { statusCode?: number } | undefined)?.statusCode;
      if (typeof status === 'number') {
        const name = (context as { commandName?: string }).commandName ?? 'unknown';
        counts[name] = (counts[name] ?? 0) + 1;
      }
      return result;
    },
    { step: 'deserialize', name: 'countRequests' },
  );
  return {
    counts,
    reset() {
      for (const k of Object.keys(counts)) delete counts[k];
    },
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
  };
}
