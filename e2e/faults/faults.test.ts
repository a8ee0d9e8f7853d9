// The fault suite: stations keep making films while, one after another, the
// processor is stopped, S3 is stopped, Redis is killed, a station-server is killed
// mid-movie, mpv is killed and the processor is killed mid-render. Afterwards every
// film must exist exactly once where it belongs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { movieKeys, type Publish } from '@stop-motion/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { capture, finish, galleryList, galleryMovie, processorStatus } from '../src/drive.js';
import { type Festival, startFestival } from '../src/festival.js';
import { waitFor } from '../src/harness/process.js';
import { type TempDir, tempDir } from '../src/harness/tmp.js';
import { mpvPidsFor } from '../src/mpvpid.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let dir: TempDir;
let festival: Festival;

beforeAll(async () => {
  dir = await tempDir('faults');
  festival = await startFestival({
    dataDir: dir.path,
    stations: 2,
    player: 'mpv',
    mpvArgs: ['--vo=null', '--ao=null'],
    redis: 'on',
    logLevel: 'warn',
    extraEnv: {
      station: { CAMERA_WIDTH: '320', CAMERA_HEIGHT: '240', CAMERA_FPS: '15' },
      processor: { TITLE_SECONDS: '1', RENDER_PRESET: 'ultrafast' },
    },
  });
}, 120_000);

afterAll(async () => {
  await festival?.stop();
  await dir?.remove();
});

interface Made {
  id: string;
  publish: Publish;
  frames: number;
  station: number;
}

it('loses and duplicates nothing while every part fails in turn', async () => {
  const made: Made[] = [];
  const errors: string[] = [];
  let producing = true;
  let killStationMidMovie = false;

  const producer = async (index: number) => {
    const station = festival.stations[index];
    if (!station) throw new Error('no station');
    let n = 0;
    while (producing) {
      const frames = 3 + (n % 3);
      const publish: Publish = (n + index) % 2 === 0 ? 'public' : 'private';
      let acked = 0;
      while (acked < frames) {
        if (index === 0 && killStationMidMovie && acked === 1) {
          killStationMidMovie = false;
          await station.kill();
          await station.start();
        }
        try {
          await capture(station);
          acked++;
        } catch (err) {
          errors.push(`station-${index + 1} capture: ${(err as Error).message}`);
          await sleep(200);
        }
      }
      const id = await finish(station, publish);
      made.push({ id, publish, frames, station: index + 1 });
      n++;
      await sleep(300);
    }
  };

  const producers = [producer(0), producer(1)];
  const phase = async (name: string, run: () => Promise<void>) => {
    const before = made.length;
    await run();
    await waitFor(`films made after ${name}`, () => made.length >= before + 2, { timeoutMs: 60_000 });
  };

  await phase('a warm-up', () => sleep(2000));
  await phase('the processor stopped for a while', async () => {
    await festival.processor.stop();
    await sleep(8000);
    await festival.processor.start();
  });
  await phase('S3 stopped for a while', async () => {
    await festival.s3.stop();
    await sleep(8000);
    await festival.s3.start();
  });
  await phase('Redis killed', async () => {
    await festival.redis?.kill();
    await sleep(4000);
    await festival.redis?.start();
  });
  await phase('a station-server killed mid-movie', async () => {
    killStationMidMovie = true;
    await waitFor('the station kill', () => !killStationMidMovie, { timeoutMs: 30_000 });
  });
  await phase('mpv killed', async () => {
    const socket = festival.mpvSocket;
    const pids = await waitFor('the processor’s mpv', async () => {
      const p = await mpvPidsFor(socket);
      return p.length > 0 ? p : undefined;
    });
    for (const pid of pids) process.kill(pid, 'SIGKILL');
  });
  await phase('the processor killed mid-render', async () => {
    await waitFor('a film rendering', async () => (await processorStatus(festival.processor)).jobs.some((j) => j.state === 'rendering'), {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await festival.processor.kill();
    await festival.processor.start();
  });

  producing = false;
  await Promise.all(producers);

  // Everything settles: public films on the gallery, private ones on the big screen only.
  const settled = async () => {
    const status = await processorStatus(festival.processor);
    const gallery = await galleryList(festival.gallery);
    const done = made.filter((m) => {
      const job = status.jobs.find((j) => j.id === m.id);
      if (job?.state !== 'done') return false;
      return m.publish === 'public' ? gallery.includes(m.id) : status.playlist.includes(m.id);
    });
    return done.length === made.length ? { status, gallery } : undefined;
  };
  const final = await waitFor('every film to settle', settled, { timeoutMs: 240_000, intervalMs: 1000 }).catch(async () => ({
    status: await processorStatus(festival.processor),
    gallery: await galleryList(festival.gallery),
  }));

  const s3 = festival.s3.client();
  const uploaded = new Set<string>();
  for (const m of made) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: festival.s3.bucket, Key: movieKeys(m.id).meta })).catch(() => null);
    if (head) uploaded.add(m.id);
  }
  const jobIds = final.status.jobs.map((j) => j.id);
  const delivered = made.filter((m) => jobIds.includes(m.id));
  const rendered = made.filter((m) =>
    ['rendered', 'uploading', 'done'].includes(final.status.jobs.find((j) => j.id === m.id)?.state ?? ''),
  );
  const publicFilms = made.filter((m) => m.publish === 'public');
  const privateFilms = made.filter((m) => m.publish === 'private');
  const lost = [
    ...publicFilms.filter((m) => !uploaded.has(m.id) || !final.gallery.includes(m.id)),
    ...privateFilms.filter((m) => !final.status.playlist.includes(m.id)),
  ];
  // A film keeps every frame its station acknowledged, also across the station's kill.
  const shortFilms = made.filter((m) => {
    const job = final.status.jobs.find((j) => j.id === m.id) as { frameCount?: number } | undefined;
    return job !== undefined && job.frameCount !== m.frames;
  });
  const leaked = privateFilms.filter((m) => uploaded.has(m.id) || final.gallery.includes(m.id));
  const count = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
  const duplicated = new Set([...count(jobIds), ...count(final.status.playlist), ...count(final.gallery)]);

  console.log(
    [
      '',
      'fault suite summary',
      `  films made        ${made.length} (${publicFilms.length} public, ${privateFilms.length} private)`,
      `  delivered         ${delivered.length}`,
      `  rendered          ${rendered.length}`,
      `  uploaded          ${uploaded.size}`,
      `  lost              ${lost.length}${lost.length ? ` ${lost.map((m) => m.id).join(' ')}` : ''}`,
      `  duplicated        ${duplicated.size}${duplicated.size ? ` ${[...duplicated].join(' ')}` : ''}`,
      `  frames missing    ${shortFilms.length} films`,
      `  private leaked    ${leaked.length}`,
      `  retried requests  ${errors.length}`,
      '',
    ].join('\n'),
  );

  expect(lost.map((m) => m.id)).toEqual([]);
  expect([...duplicated]).toEqual([]);
  expect(leaked).toEqual([]);
  expect(shortFilms.map((m) => m.id)).toEqual([]);

  // Every public film plays: its video on the gallery is a real H.264 file.
  for (const m of publicFilms) {
    const movie = await galleryMovie(festival.gallery, m.id);
    expect(movie, `gallery entry of ${m.id}`).not.toBeNull();
    const { stdout } = await execFileP('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      movie?.videoUrl ?? '',
    ]);
    expect(stdout.trim()).toBe('h264');
  }
}, 900_000);
