// The fault suite: stations keep making films while, one after another, the
// processor is stopped, S3 is stopped, Redis is killed, a station-server is killed
// mid-movie, mpv is killed and the processor is killed mid-render. Afterwards every
// film must exist exactly once where it belongs. "Duplicated" is counted where the
// side effects happen: renders finished (the processor's log), objects written (a
// counting proxy in front of S3), `loadfile` commands (each mpv's own log) and
// `film.added` notices (a Redis subscriber); one package is also delivered twice.
import { execFile } from 'node:child_process';
import { cp, readdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { FILMS_CHANNEL, filmNoticeSchema, movieKeys, type Publish } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
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
let subscriber: Redis | undefined;
const rendersDone = new Map<string, number>();
const filmAdded = new Map<string, number>();
const bump = (m: Map<string, number>, id: string) => m.set(id, (m.get(id) ?? 0) + 1);
const mpvLog = () => path.join(dir.path, 'mpv.log');
let mpvLogs = 0;

/**
 * mpv truncates its log file when it starts: before anything may start a new mpv, the
 * log is moved aside (a running mpv keeps writing to the moved file), so each file is
 * one mpv process.
 */
const rotateMpvLog = () => rename(mpvLog(), `${mpvLog()}.${++mpvLogs}`).catch(() => {});

beforeAll(async () => {
  dir = await tempDir('faults');
  festival = await startFestival({
    dataDir: dir.path,
    stations: 2,
    player: 'mpv',
    mpvArgs: ['--vo=null', '--ao=null', `--log-file=${mpvLog()}`],
    redis: 'on',
    logLevel: 'warn',
    countS3: true,
    extraEnv: {
      station: { CAMERA_WIDTH: '320', CAMERA_HEIGHT: '240', CAMERA_FPS: '15' },
      processor: { TITLE_SECONDS: '1', RENDER_PRESET: 'ultrafast', LOG_LEVEL: 'info' },
    },
    onLine: (label, line) => {
      if (label !== 'processor' || !line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as { event?: string; id?: string };
        if (entry.event === 'render.done' && entry.id) bump(rendersDone, entry.id);
      } catch {
        // not a log line
      }
    },
  });
  const redisUrl = festival.redis?.url;
  if (!redisUrl) throw new Error('the fault suite needs Redis');
  // ioredis reconnects and subscribes again after Redis is killed and back.
  subscriber = new Redis(redisUrl);
  subscriber.on('error', () => {});
  subscriber.on('message', (_channel: string, message: string) => {
    const notice = filmNoticeSchema.parse(JSON.parse(message));
    if (notice.type === 'film.added') bump(filmAdded, notice.id);
  });
  await subscriber.subscribe(FILMS_CHANNEL);
}, 120_000);

afterAll(async () => {
  subscriber?.disconnect();
  await festival?.stop();
  await dir?.remove();
});

/** `loadfile` commands per film, per mpv process. */
async function loadfilesPerMpv(): Promise<Array<Map<string, number>>> {
  const files = (await readdir(dir.path)).filter((f) => f.startsWith('mpv.log'));
  const out: Array<Map<string, number>> = [];
  for (const f of files) {
    const counts = new Map<string, number>();
    for (const line of (await readFile(path.join(dir.path, f), 'utf8')).split('\n')) {
      const m = /Run command: loadfile, .*url="[^"]*\/films\/([0-9A-HJKMNP-TV-Z]{26})\/movie\.mp4"/.exec(line);
      if (m?.[1]) bump(counts, m[1]);
    }
    out.push(counts);
  }
  return out;
}

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
  // A complete package kept while the processor is away, delivered again later (a
  // station retrying after a lost reply, an operator copying it once more).
  let again: string | null = null;
  const keepCopy = async () => {
    const names = (await readdir(festival.inbox)).filter((n) => !n.startsWith('.'));
    const complete = async (n: string) =>
      stat(path.join(festival.inbox, n, 'DONE')).then(
        () => true,
        () => false,
      );
    const isPublic = async (n: string) =>
      stat(path.join(festival.inbox, n, 'PUBLISH')).then(
        () => true,
        () => false,
      );
    let pick: string | undefined;
    for (const n of names) if ((await complete(n)) && (pick === undefined || (await isPublic(n)))) pick = n;
    if (!pick) return;
    again = pick;
    await cp(path.join(festival.inbox, pick), path.join(dir.path, 'again', pick), { recursive: true });
  };

  await phase('the processor stopped for a while', async () => {
    await festival.processor.stop();
    await sleep(8000);
    await keepCopy();
    await rotateMpvLog();
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
    await rotateMpvLog();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
  });
  await phase('the processor killed mid-render', async () => {
    await waitFor('a film rendering', async () => (await processorStatus(festival.processor)).jobs.some((j) => j.state === 'rendering'), {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await festival.processor.kill();
    await rotateMpvLog();
    await festival.processor.start();
  });
  producing = false;
  await Promise.all(producers);
  // With the stations idle: a package delivered a second time.
  {
    const id = again;
    if (!id) throw new Error('no complete package was in the inbox while the processor was stopped');
    await waitFor(
      `${id} done before its copy arrives`,
      async () => {
        const job = (await processorStatus(festival.processor)).jobs.find((j) => j.id === id);
        return job?.state === 'done';
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    await rename(path.join(dir.path, 'again', id), path.join(festival.inbox, id));
    await waitFor(
      `the copy of ${id} taken`,
      async () =>
        stat(path.join(festival.inbox, id)).then(
          () => false,
          () => true,
        ),
      {
        timeoutMs: 60_000,
      },
    );
  }

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
  // Made more than once, where it happens. Waiting for the notices of the last films.
  await waitFor('a film.added notice for every uploaded film', () => [...uploaded].every((id) => filmAdded.has(id)), {
    timeoutMs: 10_000,
  }).catch(() => {});
  const counter = festival.s3Counter;
  if (!counter) throw new Error('no S3 counter');
  const twice = (m: Map<string, number>) => [...m].filter(([, n]) => n > 1).map(([id]) => id);
  const videoWrites = new Map(made.map((m) => [m.id, counter.puts(movieKeys(m.id).video)]));
  const perMpv = await loadfilesPerMpv();
  const duplicatedBy = {
    renders: twice(rendersDone),
    s3: twice(videoWrites),
    mpv: [...new Set(perMpv.flatMap(twice))],
    notices: twice(filmAdded),
  };
  const duplicated = new Set(Object.values(duplicatedBy).flat());
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

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
      `    renders done    ${sum(rendersDone)} for ${rendersDone.size} films, ${duplicatedBy.renders.length} twice`,
      `    S3 video PUTs   ${sum(videoWrites)} for ${[...videoWrites.values()].filter((n) => n > 0).length} films, ${duplicatedBy.s3.length} twice`,
      `    mpv loadfile    ${perMpv.reduce((a, m) => a + sum(m), 0)} over ${perMpv.length} mpv processes, ${duplicatedBy.mpv.length} twice in one`,
      `    film.added      ${sum(filmAdded)} for ${filmAdded.size} films, ${duplicatedBy.notices.length} twice`,
      `    delivered twice ${again ?? 'none'}`,
      `  frames missing    ${shortFilms.length} films`,
      `  private leaked    ${leaked.length}`,
      `  retried requests  ${errors.length}`,
      '',
    ].join('\n'),
  );

  expect(lost.map((m) => m.id)).toEqual([]);
  expect(duplicatedBy).toEqual({ renders: [], s3: [], mpv: [], notices: [] });
  // The counts are real: every film rendered was counted, and the public ones written.
  expect(rendered.filter((m) => !rendersDone.has(m.id)).map((m) => m.id)).toEqual([]);
  expect([...uploaded].filter((id) => !videoWrites.get(id))).toEqual([]);
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
