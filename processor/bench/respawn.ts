/**
 * Big-screen respawn benchmark, printed, never asserted: mpv (--vo=null) is killed
 * with SIGKILL while three films loop, and the time until a new mpv plays the same
 * playlist is measured. Baseline, in the same run: a cold mpv start to its IPC socket.
 * Goal: respawn ≤ 2 s.
 *
 *   node --conditions=source --import tsx processor/bench/respawn.ts   (BENCH_ROUNDS, default 5)
 */
import os from 'node:os';
import path from 'node:path';
import { MpvClient, startMpv, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { startProcessor } from '../src/index.js';
import { writePackage } from '../test/helpers.js';
import { benchParts } from './parts.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function main(): Promise<void> {
  console.log(
    `mpv respawn benchmark — ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((f) => f.toFixed(2))
      .join(' ')}`,
  );
  const dir = await tempDir('bench-respawn');
  const p = await startProcessor(
    loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_FULLSCREEN: 'false',
      MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
    }),
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const films: string[] = [];
    for (let i = 0; i < 3; i++) films.push((await writePackage(p.config.inboxDir, { frames: 25, title: `film ${i}` })).id);
    await waitFor('three films on the playlist', async () => films.every((id) => p.pipeline.job(id)?.state === 'done'), {
      timeoutMs: 120_000,
    });
    const files = films.map((id) => path.join(p.config.dataDir, 'films', id, 'movie.mp4'));
    const socket = path.join(p.config.dataDir, 'mpv.sock');
    const respawns: number[] = [];
    const colds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Baseline: a cold mpv, started and ready for IPC.
      const t0 = performance.now();
      const cold = await startMpv({ vo: 'null' });
      colds.push(performance.now() - t0);
      await cold.stop();

      const pid = (p.player.status() as { pid: number | null }).pid;
      if (!pid) throw new Error('no mpv pid');
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      await waitFor(
        'a new mpv playing the same playlist',
        async () => {
          const now = p.player.status().pid;
          if (now === pid || now === null) return false;
          const c = await MpvClient.connect(socket).catch(() => null);
          if (!c) return false;
          try {
            const list = (await c.playlist()).map((e) => e.filename);
            return JSON.stringify(list) === JSON.stringify(files) && (await c.getProperty<string | null>('path')) !== null;
          } finally {
            c.close();
          }
        },
        { timeoutMs: 60_000, intervalMs: 10 },
      );
      respawns.push(performance.now() - killedAt);
    }
    const r = median(respawns);
    const c = median(colds);
    console.log(`respawn after SIGKILL: median ${Math.round(r)} ms over ${ROUNDS} rounds (${respawns.map(Math.round).join(', ')})`);
    console.log(`cold mpv start (baseline): median ${Math.round(c)} ms`);
    console.log(`ratio respawn / cold start ${(r / c).toFixed(2)}; goal respawn ≤ 2000 ms`);
  } finally {
    await p.close();
    await dir.remove();
  }
}

if (benchParts().has('respawn')) await main();
