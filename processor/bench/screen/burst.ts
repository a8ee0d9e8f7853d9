// The burst part: stations finish 1 s apart and deliver through their own code; finish → queued, → gallery, premiere order.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  freePort,
  type ManagedProcess,
  spawnManaged,
  startRedis,
  startRsyncDaemon,
  startS3,
  type TempDir,
  tempDir,
  waitFor,
} from '@stop-motion/e2e';
import { Delivery } from '@stop-motion/station-server/delivery';
import pino from 'pino';
import { getStatus, startProcessorChild } from '../../test/child.js';
import { DropCounter, f1, load1, photoFrames, QUICK, repoRoot, screenProcessorEnv, startXvfb, writeStationPackage } from './rig.js';

/** The gallery as a real child process on the same S3 and Redis. */
async function startGallery(env: Record<string, string>): Promise<{ url: string; proc: ManagedProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnManaged({
    name: 'gallery',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'gallery', 'src', 'main.ts')],
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: 'warn',
      GALLERY_HOST: '127.0.0.1',
      GALLERY_PORT: String(port),
      GALLERY_PUBLIC_URL: url,
      GALLERY_ADMIN_TOKEN: 'bench-admin-token-0123456789',
      REFRESH_SECONDS: '5',
    },
    keepLines: 100,
  });
  await waitFor('gallery /healthz', async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok || undefined, {
    timeoutMs: 60_000,
    intervalMs: 100,
    failIf: () => (proc.running() ? undefined : `gallery exited:\n${proc.output()}`),
  });
  return { url, proc };
}

async function galleryIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const res = await fetch(`${url}/api/movies?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      signal: AbortSignal.timeout(5000),
    });
    const page = (await res.json()) as { movies: Array<{ id: string }>; next: string | null };
    for (const m of page.movies) ids.add(m.id);
    cursor = page.next;
  } while (cursor);
  return ids;
}

export interface BurstResult {
  stations: number;
  queuedMax: number;
  galleryMax: number;
  inOrder: boolean;
  spanSeconds: number;
}

export async function burst(pinned: boolean): Promise<BurstResult> {
  const stations = QUICK ? 3 : 10;
  const film = QUICK ? { frames: 30, w: 1280, h: 720 } : { frames: 60, w: 1280, h: 720 };
  const x = await startXvfb();
  const dir: TempDir = await tempDir('bench-burst');
  const inbox = path.join(dir.path, 'inbox');
  const dataDir = path.join(dir.path, 'data');
  const names = Array.from({ length: stations }, (_, i) => `station-${i + 1}`);
  await mkdir(inbox, { recursive: true });
  for (const n of names) {
    await mkdir(path.join(inbox, n), { recursive: true });
    await writeFile(path.join(inbox, n, '.stop-motion-area'), '');
  }
  const src = await photoFrames(film.frames, film.w, film.h);
  const s3 = await startS3();
  const redis = await startRedis();
  const rsyncd = await startRsyncDaemon({
    modules: names.map((n) => ({ module: n, user: n, secret: `secret-${n}`, path: path.join(inbox, n) })),
  });
  const stops: Array<() => Promise<void>> = [];
  try {
    const shared = { ...s3.env(), REDIS_URL: redis.url };
    const gallery = await startGallery(shared);
    stops.push(() => gallery.proc.stop());
    const child = await startProcessorChild(
      {
        ...shared,
        ...screenProcessorEnv(x.display, inbox, dataDir),
      },
      pinned ? { wrap: ['taskset', '-c', '0'] } : {},
    );
    stops.push(() => child.proc.stop());
    const mpv = await DropCounter.start(path.join(dataDir, 'mpv.sock'));
    stops.push(async () => mpv.close());
    const log = pino({ level: 'silent' });
    const deliveries = names.map((n, i) => {
      const root = path.join(dir.path, 'stations', n);
      const module = rsyncd.modules[i];
      if (!module) throw new Error('rsync module missing');
      return {
        outbox: path.join(root, 'outbox'),
        delivery: new Delivery({
          config: {
            target: module.url,
            rsyncPassword: module.secret,
            rsyncPasswordFile: undefined,
            sshKey: undefined,
            timeoutSeconds: 60,
            retryMinMs: 1000,
            retryMaxMs: 10_000,
            sentRetentionDays: 1,
          },
          outboxDir: path.join(root, 'outbox'),
          sentDir: path.join(root, 'sent'),
          log,
        }),
      };
    });
    for (const d of deliveries) {
      await mkdir(d.outbox, { recursive: true });
      await mkdir(path.join(path.dirname(d.outbox), 'sent'), { recursive: true });
      await d.delivery.start();
      stops.push(() => d.delivery.stop());
    }
    // Packages are made before the clock starts: a finish is the station moving one into its outbox.
    const ready: Array<{ staged: string; id: string }> = [];
    for (const [i, n] of names.entries()) {
      const staged = path.join(dir.path, 'stations', n, 'staged');
      await mkdir(staged, { recursive: true });
      ready.push({ staged, id: await writeStationPackage(staged, src, film.frames, film.w, film.h, names[i] as string) });
    }
    const finishedAt = new Map<string, number>();
    const queuedAt = new Map<string, number>();
    const listedAt = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const list = new Set((await mpv.playlist().catch(() => [])).map((e) => path.basename(path.dirname(e.filename))));
        const listed = await galleryIds(gallery.url).catch(() => new Set<string>());
        const now = performance.now();
        for (const { id } of ready) {
          if (!queuedAt.has(id) && list.has(id)) queuedAt.set(id, now);
          if (!listedAt.has(id) && listed.has(id)) listedAt.set(id, now);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    const spacing = 10_000 / stations;
    for (const [i, { staged, id }] of ready.entries()) {
      const wait = t0 + i * spacing - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const d = deliveries[i];
      if (!d) continue;
      await rename(path.join(staged, id), path.join(d.outbox, id));
      finishedAt.set(id, performance.now());
      d.delivery.kick();
    }
    const spanSeconds = (performance.now() - t0) / 1000;
    const premieres = () => [...new Set(mpv.played.map((f) => path.basename(path.dirname(f))).filter((id) => finishedAt.has(id)))];
    await waitFor('every film queued and in the gallery', () => (listedAt.size === stations && queuedAt.size === stations) || undefined, {
      timeoutMs: 3_600_000,
      intervalMs: 200,
    });
    watching = false;
    await watcher;
    // Premiere order: the order in which mpv first played the burst's films (its path changes over IPC).
    await waitFor('every film premiered', () => premieres().length === stations || undefined, {
      timeoutMs: 600_000,
      intervalMs: 200,
    });
    const order = premieres();
    const finishOrder = [...finishedAt.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    const inOrder = JSON.stringify(order) === JSON.stringify(finishOrder);
    const lat = (m: Map<string, number>) => ready.map(({ id }) => ((m.get(id) ?? Number.NaN) - (finishedAt.get(id) ?? 0)) / 1000);
    const queued = lat(queuedAt);
    const listed = lat(listedAt);
    const lastFinish = Math.max(...finishedAt.values());
    const status = await getStatus(child.url);
    const drops = mpv.snapshot();
    console.log(
      `  ${stations} stations finished over ${f1(spanSeconds)} s (${pinned ? 'processor on one core' : 'all cores'}); load ${load1()}`,
    );
    console.log(`  finish → queued on mpv, per station (s): ${queued.map(f1).join(' ')}`);
    console.log(`  finish → in the gallery, per station (s): ${listed.map(f1).join(' ')}`);
    console.log(
      `  last queued ${f1((Math.max(...queuedAt.values()) - lastFinish) / 1000)} s after the last finish; gallery complete ${f1((Math.max(...listedAt.values()) - lastFinish) / 1000)} s after it`,
    );
    console.log(
      `  premiere order = finish order: ${inOrder ? 'yes' : `NO (${order.map((id) => finishOrder.indexOf(id) + 1).join(',')})`}; films done ${status.jobs.filter((j) => j.state === 'done').length}/${stations}; mpv dropped ${drops['frame-drop-count']} (vo) ${drops['decoder-frame-drop-count']} (decoder) meanwhile`,
    );
    return { stations, queuedMax: Math.max(...queued), galleryMax: Math.max(...listed), inOrder, spanSeconds };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await rsyncd.close();
    await redis.close();
    await s3.close();
    await x.stop();
    await dir.remove();
  }
}
