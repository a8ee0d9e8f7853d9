import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { validatePackage } from '../src/validate.js';
import { fetchStatus, listDir, newId, writePackage } from './helpers.js';

/** A path whose last part is raw bytes (Latin-1 "é" = 0xE9 is not valid UTF-8). */
const bytesPath = (dir: string, name: number[]) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name)]);
const LATIN1_NAME = [0x66, 0x69, 0x6c, 0x6d, 0xe9]; // "film\xe9"

async function startWith(env: Record<string, string>, dir: TempDir, logs: Array<Record<string, unknown>>): Promise<Processor> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return startProcessor(
    loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RESCAN_SECONDS: '1',
      ...env,
    }),
    { logger: pino({ level: 'info' }, sink) },
  );
}

const settled = (p: Processor, id: string) =>
  waitFor(`${id} settled`, () => ['done', 'quarantined', 'failed'].includes(p.pipeline.job(id)?.state ?? ''), {
    timeoutMs: 60_000,
    intervalMs: 100,
  });

describe('names that are not UTF-8, and files that arrive after DONE', () => {
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-intake');
    p = await startWith({ PACKAGE_GRACE_SECONDS: '600' }, dir, logs);
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('quarantines a package holding a file whose name is not UTF-8, with the name shown', async () => {
    const { id } = await writePackage(p.config.inboxDir, {
      frames: 3,
      tamper: (d) => writeFile(bytesPath(d, LATIN1_NAME), 'x'),
    });
    const nested = await writePackage(p.config.inboxDir, {
      frames: 3,
      tamper: async (d) => {
        await mkdir(path.join(d, 'extra'));
        await writeFile(bytesPath(path.join(d, 'extra'), LATIN1_NAME), 'x');
      },
    });
    p.pipeline.queueScan();
    for (const which of [id, nested.id]) {
      await settled(p, which);
      const job = p.pipeline.job(which);
      expect(job?.state).toBe('quarantined');
      expect(job?.reason).toMatch(/not valid UTF-8: "(extra\/)?film\\xe9"/);
      expect(await readFile(path.join(p.config.dataDir, 'quarantine', which, 'REASON'), 'utf8')).toMatch(/not valid UTF-8/);
    }
    expect(logs.some((l) => l.event === 'render.crashed')).toBe(false);
  });

  it('quarantines an inbox folder whose name is not UTF-8 once, without failing every rescan', async () => {
    const folder = bytesPath(p.config.inboxDir, LATIN1_NAME);
    await mkdir(folder);
    await writeFile(Buffer.concat([folder, Buffer.from('/DONE')]), '');
    p.pipeline.queueScan();
    await waitFor('the folder quarantined', async () => (await listDir(p.config.inboxDir)).length === 0, { timeoutMs: 30_000 });
    const stray = (await listDir(path.join(p.config.dataDir, 'quarantine'))).find((n) => n.startsWith('invalid-film_xe9'));
    expect(stray).toBeDefined();
    expect(await readFile(path.join(p.config.dataDir, 'quarantine', stray ?? '', 'REASON'), 'utf8')).toMatch(/not valid UTF-8/);
    // Two more rescans: nothing more to say about it.
    const scans = logs.length;
    await p.pipeline.scan();
    await p.pipeline.scan();
    expect(logs.slice(scans).some((l) => l.event === 'ingest.failed')).toBe(false);
    expect(logs.some((l) => l.event === 'ingest.failed')).toBe(false);
    const status = await fetchStatus(p.url);
    expect(status.quarantine.some((q) => 'name' in q && q.name === 'film\\xe9' && /UTF-8/.test(q.reason ?? ''))).toBe(true);
  });

  it('refuses a non-UTF-8 name also in a package already taken in (left by an older version)', async () => {
    const d = path.join(dir.path, 'loose', newId());
    await mkdir(d, { recursive: true });
    await writeFile(bytesPath(d, LATIN1_NAME), 'x');
    const v = await validatePackage(d, path.basename(d), p.config);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/not valid UTF-8/);
  });

  it('waits for frames that arrive after DONE, then makes the film with all of them', async () => {
    const aside = path.join(dir.path, 'late');
    await mkdir(aside, { recursive: true });
    const { id, dir: pkgDir } = await writePackage(p.config.inboxDir, {
      frames: 4,
      tamper: async (d) => {
        for (const f of ['0002.jpg', '0003.jpg']) await rename(path.join(d, f), path.join(aside, f));
      },
    });
    p.pipeline.queueScan();
    await waitFor('package.incomplete', () => logs.some((l) => l.event === 'package.incomplete' && l.id === id), { timeoutMs: 30_000 });
    expect(p.pipeline.job(id)).toBeUndefined();
    for (const f of ['0002.jpg', '0003.jpg']) await rename(path.join(aside, f), path.join(pkgDir, f));
    await settled(p, id);
    const job = p.pipeline.job(id);
    expect(job?.state).toBe('done');
    expect(job?.frameCount).toBe(4);
    expect(job?.dropped).toEqual([]);
  });
});

describe('a package whose late files never come', () => {
  let dir: TempDir;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-grace');
    p = await startWith({ PACKAGE_GRACE_SECONDS: '1' }, dir, logs);
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('is quarantined after the grace period naming what is missing, and a complete re-delivery makes the film', async () => {
    const { id } = await writePackage(p.config.inboxDir, {
      frames: 4,
      tamper: async (d) => {
        await rename(path.join(d, '0001.jpg'), path.join(dir.path, 'lost.jpg'));
        await rename(path.join(d, '0003.jpg'), path.join(dir.path, 'lost2.jpg'));
      },
    });
    p.pipeline.queueScan();
    await settled(p, id);
    const job = p.pipeline.job(id);
    expect(job?.state).toBe('quarantined');
    expect(job?.reason).toMatch(/incomplete: 2 file\(s\).*within 1 s of DONE: 0001\.jpg, 0003\.jpg/);
    expect(await readFile(path.join(p.config.dataDir, 'quarantine', id, 'REASON'), 'utf8')).toMatch(/0001\.jpg, 0003\.jpg/);
    // The station delivers it again, whole.
    await writePackage(p.config.inboxDir, { id, frames: 4 });
    p.pipeline.queueScan();
    await waitFor('the film made', () => p.pipeline.job(id)?.state === 'done', { timeoutMs: 60_000, intervalMs: 100 });
    expect(p.pipeline.job(id)?.frameCount).toBe(4);
    expect(p.player.status().playlist).toContain(id);
  });
});
