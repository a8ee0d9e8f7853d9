/**
 * Scrape-cost benchmark, printed, never asserted: GET /metrics of a processor whose job
 * store holds BENCH_JOBS finished jobs (the queue gauges walk them on each scrape),
 * against GET /healthz of the same server as the baseline. Goal: a scrape stays within
 * a few milliseconds at a festival's size (a few thousand films).
 *
 *   node --conditions=source --import tsx processor/bench/metrics.ts   (BENCH_JOBS 3000, BENCH_ROUNDS 200)
 */
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import pino from 'pino';
import { ulid } from 'ulid';
import { loadConfig } from '../src/config.js';
import { startProcessor } from '../src/index.js';
import { JobStore, newJob } from '../src/jobs.js';
import { median } from './stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

async function timed(url: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.text();
    out.push(performance.now() - t);
  }
  return out;
}

async function main(): Promise<void> {
  const load = os
    .loadavg()
    .map((f) => f.toFixed(2))
    .join(' ');
  console.log(`processor /metrics benchmark — ${os.cpus().length} cores, load ${load}, ${JOBS} jobs, ${ROUNDS} rounds`);
  const dir = await tempDir('bench-metrics');
  const dataDir = path.join(dir.path, 'data');
  const store = new JobStore(dataDir);
  for (let i = 0; i < JOBS; i++) {
    const job = newJob(ulid());
    await store.put({ ...job, state: 'done', publish: i % 3 === 0 ? 'private' : 'public', doneAt: job.receivedAt });
  }
  const p = await startProcessor(
    loadConfig({ PROCESSOR_DATA_DIR: dataDir, PROCESSOR_INBOX: path.join(dir.path, 'inbox'), PROCESSOR_PORT: '0', PLAYER: 'none' }),
    { logger: pino({ level: 'silent' }) },
  );
  try {
    await timed(`${p.url}/metrics`); // warm-up
    const health = median(await timed(`${p.url}/healthz`));
    const metrics = median(await timed(`${p.url}/metrics`));
    console.log(`GET /healthz (baseline) median ${health.toFixed(2)} ms`);
    console.log(`GET /metrics           median ${metrics.toFixed(2)} ms  (${(metrics / health).toFixed(1)}× the baseline)`);
  } finally {
    await p.close();
    await dir.remove();
  }
}

await main();
