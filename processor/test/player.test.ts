import path from 'node:path';
import { MpvClient, type RedisService, startMpv, startRedis, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { FILMS_CHANNEL } from '@stop-motion/protocol';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { writePackage } from './helpers.js';

describe('big screen (mpv --vo=null)', () => {
  let dir: TempDir;
  let redis: RedisService;
  let p: Processor;
  let mpv: MpvClient | null = null;
  const films: string[] = [];

  const socket = () => path.join(p.config.dataDir, 'mpv.sock');
  const fileOf = (id: string) => path.join(p.config.dataDir, 'films', id, 'movie.mp4');
  const idOf = (file: string) => path.basename(path.dirname(file));
  /** A fresh IPC connection each time: after a restart the old one is dead. */
  const client = async () => {
    mpv?.close();
    mpv = await MpvClient.connect(socket());
    return mpv;
  };
  const mpvPlaylist = async () => (await (await client()).playlist()).map((e) => e.filename);
  const addFilm = async (title: string) => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 25, title });
    await waitFor(`${title} on the playlist`, async () => (await p.pipeline.status()).playlist.includes(id) || undefined, {
      timeoutMs: 60_000,
    });
    return id;
  };

  beforeAll(async () => {
    dir = await tempDir('proc-player');
    redis = await startRedis();
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_FULLSCREEN: 'false',
      MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      REDIS_URL: redis.url,
    });
    p = await startProcessor(config, { logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    mpv?.close();
    await p?.close();
    await redis?.close();
    await dir?.remove();
  });

  it('shows the idle slide while there are no films', async () => {
    const list = await mpvPlaylist();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/idle\.png$/);
    expect((await p.pipeline.status()).player).toMatchObject({ kind: 'mpv' });
  });

  it('plays films in a loop, in the order they arrived', async () => {
    for (const title of ['one', 'two', 'three']) films.push(await addFilm(title));
    await waitFor(
      'mpv playlist to hold the three films',
      async () => JSON.stringify(await mpvPlaylist()) === JSON.stringify(films.map(fileOf)),
      {
        timeoutMs: 60_000,
      },
    );
    const path0 = await (await client()).getProperty<string | null>('path');
    expect(films.map(fileOf)).toContain(path0);
  }, 180_000);

  // How fast: processor/bench/respawn.ts (goal ≤ 2 s).
  it('restarts a killed mpv with the same playlist, resuming the film on screen', async () => {
    const before = await p.pipeline.status();
    const pid = (before.player as { pid: number | null }).pid;
    expect(pid).toBeGreaterThan(0);
    const onScreen = before.nowPlaying;
    process.kill(pid as number, 'SIGKILL');
    await waitFor(
      'a new mpv playing the same playlist',
      async () => {
        const player = (await p.pipeline.status()).player;
        if (player.pid === pid || player.pid === null) return false;
        const c = await client();
        const list = (await c.playlist()).map((e) => e.filename);
        const playing = await c.getProperty<string | null>('path');
        return JSON.stringify(list) === JSON.stringify(films.map(fileOf)) && playing !== null;
      },
      { timeoutMs: 30_000, intervalMs: 25 },
    );
    const after = await p.pipeline.status();
    expect((after.player as { restarts: number }).restarts).toBeGreaterThanOrEqual(1);
    // The film that was on screen comes back first (or the loop has already moved past it).
    if (onScreen) expect(films).toContain(after.nowPlaying);
  }, 180_000);

  it('queues a new film next, after the one on screen', async () => {
    // Once every earlier film has had its premiere, "next" means right after the one on screen.
    const last = fileOf(films.at(-1) as string);
    await waitFor('the last film to be on screen', async () => (await (await client()).getProperty<string>('path')) === last, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    const id = await addFilm('the new one');
    await waitFor('mpv to list the new film', async () => (await mpvPlaylist()).includes(fileOf(id)), { timeoutMs: 60_000 });
    // From the moment mpv lists it, it is the next film to start (or already on screen).
    const onScreen = await (await client()).getProperty<string>('path');
    if (onScreen !== fileOf(id)) {
      const list = await mpvPlaylist();
      expect(list.indexOf(fileOf(id))).toBe(list.indexOf(onScreen) + 1);
      const next = await waitFor(
        'the film on screen to end',
        async () => {
          const now = await (await client()).getProperty<string>('path');
          return now !== onScreen ? now : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      expect(idOf(next)).toBe(id);
    }
    films.push(id);
  }, 180_000);

  it('takes a film down on an operator request and on a moderation notice', async () => {
    const [first, second] = films;
    const res = await fetch(`${p.url}/api/films/${first}/remove`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor('operator removal', async () => !(await mpvPlaylist()).includes(fileOf(first as string)), { timeoutMs: 60_000 });
    const pub = new Redis(redis.url);
    await pub.publish(FILMS_CHANNEL, JSON.stringify({ type: 'film.hidden', id: second }));
    pub.disconnect();
    await waitFor('moderation removal', async () => !(await mpvPlaylist()).includes(fileOf(second as string)), { timeoutMs: 60_000 });
    const status = await p.pipeline.status();
    expect(status.playlist).not.toContain(first);
    expect(status.playlist).not.toContain(second);
  }, 180_000);
});

describe('attaching to an mpv started by someone else (MPV_SOCKET)', () => {
  let dir: TempDir;
  let p: Processor;
  let external: Awaited<ReturnType<typeof startMpv>>;

  beforeAll(async () => {
    dir = await tempDir('proc-attach');
    external = await startMpv({ vo: 'null' });
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_SOCKET: external.socketPath,
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
    });
    p = await startProcessor(config, { logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await p?.close();
    await external?.stop();
    await dir?.remove();
  });

  it('shows the idle slide, then the new film, on that mpv; it keeps running when the processor stops', async () => {
    const c = await external.client();
    try {
      await waitFor('idle slide', async () => ((await c.playlist())[0]?.filename ?? '').endsWith('idle.png'), { timeoutMs: 60_000 });
      const { id } = await writePackage(p.config.inboxDir, { frames: 5 });
      const film = path.join(p.config.dataDir, 'films', id, 'movie.mp4');
      await waitFor(
        'the film on the attached mpv',
        async () => JSON.stringify((await c.playlist()).map((e) => e.filename)) === JSON.stringify([film]),
        {
          timeoutMs: 60_000,
        },
      );
      await p.close();
      expect(external.running()).toBe(true);
    } finally {
      c.close();
    }
  }, 180_000);
});

describe('an mpv that cannot start', () => {
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-badmpv');
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_FULLSCREEN: 'false',
      MPV_EXTRA_ARGS: '--vo=null --no-such-option-here',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
    });
    p = await startProcessor(config, {
      logger: pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
    });
  });

  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('is retried with growing delays, and films are still made and listed', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 5 });
    await waitFor('the film done', () => p.pipeline.job(id)?.state === 'done', { timeoutMs: 60_000 });
    const status = await p.pipeline.status();
    expect(status.playlist).toEqual([id]);
    const player = status.player;
    expect(player.state).toBe('restarting');
    expect(player.lastError).toBeTruthy();
    // Backing off: each failed start waits longer than the one before (read from the log, not the clock).
    const delays = await waitFor(
      'four failed starts',
      () => {
        const d = logs.filter((l) => l.event === 'player.mpv_exited').map((l) => l.retryInMs as number);
        return d.length >= 4 ? d.slice(0, 4) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (let i = 1; i < delays.length; i++) expect(delays[i], `delays ${delays.join(', ')} ms`).toBeGreaterThan(delays[i - 1] as number);
  }, 180_000);
});
