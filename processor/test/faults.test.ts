import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type RedisService, type S3Service, startRedis, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { FILMS_CHANNEL, filmMetaSchema, filmNoticeSchema, movieKeys } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatus, type ProcessorChild, startProcessorChild } from './child.js';
import { execFileP, newId, writePackage } from './helpers.js';

const ROUNDS = 10;

/** Pids of ffmpeg/ffprobe processes whose arguments point into `dir`. */
async function toolsWorkingIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmd.split('\0');
    if (/ff(mpeg|probe)$/.test(argv[0] ?? '') && argv.some((a) => a.startsWith(dir))) found.push(Number(entry));
  }
  return found;
}
const FRAMES = 30;

describe('faults: SIGKILL and S3 outages', () => {
  let s3: S3Service;
  let dir: TempDir;
  let child: ProcessorChild | null = null;
  let env: Record<string, string>;

  const start = async () => {
    child = await startProcessorChild(env);
    return child;
  };
  const sigkill = async () => {
    await child?.proc.kill();
    child = null;
  };
  const inbox = () => env.PROCESSOR_INBOX as string;

  const waitLog = (c: ProcessorChild, msg: string, id: string) =>
    waitFor(`${msg} for ${id}`, () => c.logs.some((l) => l.event === msg && l.id === id), {
      timeoutMs: 60_000,
      intervalMs: 5,
      failIf: () => (c.proc.running() ? undefined : `processor exited: ${c.proc.output()}`),
    });

  const waitDone = (c: ProcessorChild, ids: string[]) =>
    waitFor(
      `${ids.length} film(s) done`,
      async () => {
        const s = await getStatus(c.url);
        return ids.every((id) => s.jobs.find((j) => j.id === id)?.state === 'done');
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );

  let redis: RedisService;
  let subscriber: Redis;
  const added = new Set<string>();

  beforeAll(async () => {
    s3 = await startS3();
    redis = await startRedis();
    subscriber = new Redis(redis.url);
    subscriber.on('message', (_channel: string, message: string) => {
      const notice = filmNoticeSchema.parse(JSON.parse(message));
      if (notice.type === 'film.added') added.add(notice.id);
    });
    await subscriber.subscribe(FILMS_CHANNEL);
    dir = await tempDir('proc-faults');
    env = {
      ...s3.env(),
      REDIS_URL: redis.url,
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PLAYER: 'none',
      TITLE_SECONDS: '1',
      RENDER_THREADS: '1',
      RESCAN_SECONDS: '1',
      UPLOAD_RETRY_MAX_SECONDS: '1',
    };
  });

  afterAll(async () => {
    await child?.proc.stop();
    subscriber?.disconnect();
    await redis?.close();
    await s3?.close();
    await dir?.remove();
  });

  /**
   * Exactly one playable film per package in S3 (video, poster, preview, then a valid
   * meta.json), a film.added notice for each, and each on the playlist once.
   */
  const expectOnePlayableFilmEach = async (ids: string[]) => {
    const client = s3.client();
    for (const id of ids) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `movies/${id}/`, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.NextContinuationToken;
      } while (token);
      const k = movieKeys(id);
      expect(keys.sort(), `objects of ${id}`).toEqual([k.video, k.poster, k.preview, k.meta].sort());
      const meta = filmMetaSchema.parse(
        JSON.parse((await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: k.meta }))).Body?.transformToString()) ?? ''),
      );
      expect(meta.id).toBe(id);
      const video = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: k.video }));
      expect(video.ContentType).toBe('video/mp4');
      const file = path.join(dir.path, `${id}.mp4`);
      await writeFile(file, Buffer.from((await video.Body?.transformToByteArray()) ?? []));
      const { stdout } = await execFileP('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=nb_read_frames,profile',
        '-of',
        'csv=p=0',
        file,
      ]);
      // Every film really plays: the title card (one frame, held) and every frame, H.264 High.
      expect(stdout.trim(), `${id}.mp4`).toBe(`High,${1 + meta.frameCount}`);
    }
    await waitFor('a film.added notice for every film', () => ids.every((id) => added.has(id)), { timeoutMs: 10_000 }).catch(() => {});
    expect(
      ids.filter((id) => !added.has(id)),
      'films without a film.added notice',
    ).toEqual([]);
    const status = await getStatus((child ?? (await start())).url);
    expect(status.playlist.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  };

  const persistedState = async (id: string) =>
    (JSON.parse(await readFile(path.join(env.PROCESSOR_DATA_DIR as string, 'jobs', `${id}.json`), 'utf8')) as { state: string }).state;

  /**
   * Kills the processor at a random moment after `msg` is logged for a new package,
   * until ROUNDS kills have landed while the job's recorded state was `phase`.
   */
  const killRounds = async (msg: string, phase: string, maxDelayMs: number, label: string) => {
    let c = child ?? (await start());
    const ids: string[] = [];
    let hits = 0;
    let rounds = 0;
    while (hits < ROUNDS && rounds < ROUNDS * 4) {
      rounds++;
      const { id } = await writePackage(inbox(), {
        frames: FRAMES,
        width: 480,
        height: 360,
        kind: 'photo',
        publish: 'public',
        title: `${label} ${rounds}`,
      });
      ids.push(id);
      await waitLog(c, msg, id);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * maxDelayMs)));
      await sigkill();
      if ((await persistedState(id)) === phase) hits++;
      // The kernel ends the killed processor's ffmpeg with it (setpriv --pdeathsig).
      await waitFor('no ffmpeg left behind', async () => (await toolsWorkingIn(env.PROCESSOR_DATA_DIR as string)).length === 0, {
        timeoutMs: 3000,
      });
      c = await start();
    }
    expect(hits, `kills while ${phase} in ${rounds} rounds`).toBe(ROUNDS);
    await waitDone(c, ids);
    await expectOnePlayableFilmEach(ids);
  };

  it(`survives SIGKILL during render, ${ROUNDS} times`, async () => {
    await killRounds('render.started', 'rendering', 400, 'render');
  }, 600_000);

  it(`survives SIGKILL during upload, ${ROUNDS} times`, async () => {
    await killRounds('upload.started', 'uploading', 10, 'upload');
  }, 600_000);

  it('uploads every waiting film once S3 is back', async () => {
    const c = child ?? (await start());
    await s3.stop();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await writePackage(inbox(), { frames: 8, publish: 'public', title: `outage ${i}` });
      ids.push(id);
    }
    await waitFor(
      'uploads to be waiting and retrying',
      async () => {
        const s = await getStatus(c.url);
        return ids.every((id) => (s.uploadsWaiting.find((u) => u.id === id)?.attempts ?? 0) >= 2);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // The local copy is still there while S3 is away.
    for (const id of ids) await readFile(path.join(env.PROCESSOR_DATA_DIR as string, 'films', id, 'movie.mp4'));
    await s3.start();
    await waitDone(c, ids);
    await expectOnePlayableFilmEach(ids);
  }, 120_000);

  it("replaces a broken meta.json (a cut-off upload) but never a valid one, so a moderator's hidden stays", async () => {
    const c = child ?? (await start());
    const client = s3.client();
    const broken = newId();
    const hidden = newId();
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(broken).meta, Body: '{"id":"' }));
    const stale = {
      id: hidden,
      title: 'moderated',
      stationId: 'station-1',
      createdAt: new Date().toISOString(),
      durationSec: 1,
      fps: 10,
      frameCount: 8,
      width: 160,
      height: 120,
      hidden: true,
    };
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: movieKeys(hidden).meta, Body: JSON.stringify(stale) }));
    for (const id of [broken, hidden]) await writePackage(inbox(), { id, frames: 8, publish: 'public', title: 'meta' });
    await waitDone(c, [broken]);
    // A valid meta.json is a published film: a package for it that this processor has no job for is refused.
    await waitFor(
      'the package for the published id to be quarantined',
      async () => (await getStatus(c.url)).jobs.find((j) => j.id === hidden)?.state === 'quarantined',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const read = async (id: string) =>
      filmMetaSchema.parse(
        JSON.parse(
          (await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).meta }))).Body?.transformToString()) ?? '',
        ),
      );
    expect(await read(broken)).toMatchObject({ id: broken, frameCount: 8, title: 'meta' });
    expect(await read(hidden)).toMatchObject({ id: hidden, hidden: true, title: 'moderated' });
    await expectOnePlayableFilmEach([broken]);
    // Of the refused package nothing was written: its planted meta.json is all there is.
    const left = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `movies/${hidden}/` }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual([movieKeys(hidden).meta]);
  }, 120_000);
});
