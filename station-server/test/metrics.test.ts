import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { type NotifySocket, scrape, spawnManaged, startNotifySocket, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestStation, type TestStation } from './helpers.js';

const post = (url: string, body?: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body) });

function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('station /metrics', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('counts captures (ok and refused) with their latency, live fps, deliveries and delivery failures', async () => {
    const base = await tempDir('station-metrics');
    cleanups.push(() => base.remove());
    // The processor's inbox is not there yet: the first delivery attempts fail.
    const target = path.join(base.path, 'inbox');
    const s: TestStation = await startTestStation({
      DELIVERY_TARGET: target,
      MAX_FRAMES: '2',
      DELIVERY_RETRY_MIN_MS: '50',
      DELIVERY_RETRY_MAX_MS: '200',
    });
    cleanups.push(() => s.remove());
    const url = `${s.url}/metrics`;
    await waitFor('camera frames counted', async () => ((await scrape(url)).get('stopmotion_station_live_fps') ?? 0) > 0);
    const start = await scrape(url);
    expect(start.get('stopmotion_station_captures_total', { result: 'ok' })).toBe(0);
    expect(start.get('process_resident_memory_bytes')).toBeGreaterThan(0);

    for (let i = 0; i < 2; i++) expect((await post(`${s.url}/api/capture`)).status).toBe(200);
    // The third is over MAX_FRAMES: refused, and counted with its reason.
    expect((await post(`${s.url}/api/capture`)).status).toBe(409);
    const captured = await scrape(url);
    expect(captured.get('stopmotion_station_captures_total', { result: 'ok' })).toBe(2);
    expect(captured.get('stopmotion_station_captures_total', { result: 'refused', reason: 'limit' })).toBe(1);
    expect(captured.get('stopmotion_station_capture_latency_seconds_count')).toBe(2);
    expect(captured.get('stopmotion_station_capture_latency_seconds_sum')).toBeGreaterThan(0);

    expect((await post(`${s.url}/api/finish`, { publish: 'public' })).status).toBe(200);
    await waitFor(
      'a failed delivery counted',
      async () => ((await scrape(url)).get('stopmotion_station_delivery_failures_total') ?? 0) >= 1,
    );
    expect((await scrape(url)).get('stopmotion_station_outbox_packages')).toBe(1);
    await mkdir(target);
    await waitFor('the delivery counted', async () => (await scrape(url)).get('stopmotion_station_deliveries_total') === 1, {
      timeoutMs: 30_000,
    });
    expect((await scrape(url)).get('stopmotion_station_outbox_packages')).toBe(0);
    // Loopback, under the station's own names only, like every route.
    expect(await statusWithHost(url, 'evil.example')).toBe(421);
  });
});

describe('station systemd watchdog', () => {
  let notify: NotifySocket | undefined;
  afterAll(async () => {
    await notify?.close();
  });

  it('says READY=1 once listening, then WATCHDOG=1 at half of WATCHDOG_USEC while /healthz answers', async () => {
    const dir = await tempDir('station-notify');
    try {
      notify = await startNotifySocket(dir.path);
      const repoRoot = path.resolve(import.meta.dirname, '../..');
      const proc = spawnManaged({
        name: 'station',
        command: process.execPath,
        args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'station-server/src/main.ts')],
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          LOG_LEVEL: 'info',
          STATION_PORT: '0',
          STATION_DATA_DIR: path.join(dir.path, 'data'),
          CAMERA: 'test',
          CAMERA_WIDTH: '320',
          CAMERA_HEIGHT: '240',
          BUTTONS: 'sim',
          NOTIFY_SOCKET: notify.path,
          WATCHDOG_USEC: '400000',
        },
        keepLines: 200,
      });
      try {
        const n = notify;
        await n.waitFor((m) => m.some((x) => x.line === 'READY=1'), 'READY=1');
        await n.waitFor((m) => m.filter((x) => x.line === 'WATCHDOG=1').length >= 3, 'three WATCHDOG=1');
        expect(n.messages.findIndex((m) => m.line === 'READY=1')).toBeLessThan(n.messages.findIndex((m) => m.line === 'WATCHDOG=1'));
        expect(proc.output()).toContain('"msg":"listening"');
        proc.child.kill('SIGTERM');
        await proc.exited;
        expect(n.messages.some((m) => m.line === 'STOPPING=1')).toBe(true);
      } finally {
        proc.child.kill('SIGKILL');
        await proc.exited;
      }
    } finally {
      await dir.remove();
    }
  });
});
