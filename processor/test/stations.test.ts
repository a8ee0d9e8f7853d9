import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type RsyncDaemon, startRsyncDaemon, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { execFileP, type PackageOptions, writePackage } from './helpers.js';

// Two stations, each with its own module of a real rsync daemon whose path is that
// station's area of the processor's inbox (as kiosk/bin/stop-motion-station-secret
// sets it up), delivering the way the station does: files, then DONE.
describe('per-station delivery areas', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let daemon: RsyncDaemon;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  const rsync = (args: string[], secret: string) =>
    execFileP('rsync', args, { env: { ...process.env, RSYNC_PASSWORD: secret } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code?: number; stderr?: string }) => ({ code: err.code ?? 1, stderr: String(err.stderr) }),
    );
  const module = (name: string) => {
    const m = daemon.modules.find((x) => x.module === name);
    if (!m) throw new Error(`no module ${name}`);
    return m;
  };
  /** A package built in the sender's outbox, delivered in the station's two steps to `url` with `secret`. */
  const deliver = async (url: string, secret: string, opts: PackageOptions) => {
    const outbox = path.join(dir.path, 'outbox', String(Math.random()).slice(2));
    await mkdir(outbox, { recursive: true });
    const pkg = await writePackage(outbox, { frames: 3, noDone: true, ...opts });
    const files = await rsync(['-a', '--partial', '--delay-updates', `${pkg.dir}/`, `${url}${pkg.id}/`], secret);
    if (files.code !== 0) return { id: pkg.id, ...files };
    await writeFile(path.join(pkg.dir, 'DONE'), '');
    return { id: pkg.id, ...(await rsync([path.join(pkg.dir, 'DONE'), `${url}${pkg.id}/DONE`], secret)) };
  };
  const settled = (id: string) =>
    waitFor(`job ${id} settled`, () => {
      const j = p.pipeline.job(id);
      return j && ['done', 'quarantined', 'failed'].includes(j.state) ? j : undefined;
    });

  beforeAll(async () => {
    dir = await tempDir('proc-stations');
    const inbox = path.join(dir.path, 'inbox');
    daemon = await startRsyncDaemon({
      modules: [
        { module: 'station-a', user: 'station-a', secret: 'secret-of-station-a', path: path.join(inbox, 'a') },
        { module: 'station-b', user: 'station-b', secret: 'secret-of-station-b', path: path.join(inbox, 'b') },
      ],
    });
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: inbox,
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RESCAN_SECONDS: '1',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    p = await startProcessor(config, { logger: pino({ level: 'info' }, sink) });
  }, 60_000);
  afterAll(async () => {
    await p?.close();
    await daemon?.close();
    await dir?.remove();
  });

  it("refuses station A's secret at station B's module", async () => {
    const b = module('station-b');
    const asA = await deliver(module('station-a').url.replace('/station-a/', '/station-b/'), 'secret-of-station-a', { stationId: 'b' });
    expect(asA.code).not.toBe(0);
    expect(asA.stderr).toMatch(/auth failed/);
    const asB = await deliver(b.url, 'secret-of-station-a', { stationId: 'b' });
    expect(asB.code).not.toBe(0);
    expect(asB.stderr).toMatch(/auth failed/);
    expect(await readdir(b.modulePath)).toEqual([]);
  });

  it("quarantines a package claiming station B's id that came into station A's area", async () => {
    const a = module('station-a');
    const sent = await deliver(a.url, 'secret-of-station-a', { stationId: 'b', publish: 'public' });
    expect(sent.code).toBe(0);
    const job = await settled(sent.id);
    expect(job.state).toBe('quarantined');
    expect(job.reason).toMatch(/stationId "b" but the package came from the area of station "a"/);
    expect(await readFile(path.join(p.config.dataDir, 'quarantine', sent.id, 'REASON'), 'utf8')).toMatch(/station "a"/);
    // The job's state is written before its log line is.
    await waitFor('the quarantine logged', () => logs.some((l) => l.event === 'package.quarantined' && l.id === sent.id));
    await expect(readdir(path.join(p.config.dataDir, 'films', sent.id))).rejects.toThrow();
  });

  it("keeps an idle station's area through the inbox's retention; only a stale delivery in it goes", async () => {
    const b = module('station-b');
    // Station B's area as stop-motion-station-secret makes it, idle for days, with an abandoned half delivery.
    await writeFile(path.join(b.modulePath, '.stop-motion-area'), '');
    const stale = path.join(b.modulePath, '01JF0000000000000000000099');
    await mkdir(stale);
    await writeFile(path.join(stale, '0000.jpg'), 'half');
    const old = new Date(Date.now() - 5 * 24 * 3_600_000);
    for (const f of [path.join(stale, '0000.jpg'), stale, path.join(b.modulePath, '.stop-motion-area'), b.modulePath])
      await utimes(f, old, old);
    await p.retention.sweep();
    expect((await readdir(b.modulePath)).sort()).toEqual(['.stop-motion-area']);
    const moved = (await readdir(path.join(p.config.dataDir, 'quarantine'))).filter((n) => n.includes('01JF0000000000000000000099'));
    expect(moved).toHaveLength(1);
    expect(await readFile(path.join(p.config.dataDir, 'quarantine', moved[0] ?? '', 'REASON'), 'utf8')).toMatch(/untouched in the inbox/);
  });

  it("makes films of both stations' honest deliveries, and of the flat inbox of a local setup", async () => {
    const fromA = await deliver(module('station-a').url, 'secret-of-station-a', { stationId: 'a' });
    const fromB = await deliver(module('station-b').url, 'secret-of-station-b', { stationId: 'b' });
    // The original layout has no manifest: the area names its station.
    const original = await deliver(module('station-b').url, 'secret-of-station-b', { layout: 'original' });
    expect([fromA.code, fromB.code, original.code]).toEqual([0, 0, 0]);
    // Straight into the inbox, as a single station or a local path does.
    const flat = await writePackage(p.config.inboxDir, { frames: 3, stationId: 'local-1' });
    for (const [id, station] of [
      [fromA.id, 'a'],
      [fromB.id, 'b'],
      [original.id, 'b'],
      [flat.id, 'local-1'],
    ] as const) {
      const job = await settled(id);
      expect(job.state, `${station}: ${job.reason}`).toBe('done');
      expect(job.stationId).toBe(station);
      expect((await readdir(path.join(p.config.dataDir, 'films', id))).includes('movie.mp4')).toBe(true);
    }
    expect(logs.some((l) => l.event === 'package.received' && l.id === fromA.id && l.area === 'a')).toBe(true);
    // A DONE at the top of an area (not inside a package) leaves the area where it is.
    const src = path.join(dir.path, 'DONE');
    await writeFile(src, '');
    expect((await rsync([src, `${module('station-a').url}DONE`], 'secret-of-station-a')).code).toBe(0);
    await p.pipeline.scan();
    await p.pipeline.scan();
    const late = await deliver(module('station-a').url, 'secret-of-station-a', { stationId: 'a' });
    expect(late.code).toBe(0);
    expect((await settled(late.id)).state).toBe('done');
    expect(await readdir(module('station-a').modulePath)).toContain('DONE');
  });
});
