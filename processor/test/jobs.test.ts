import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type TempDir, tempDir } from '@stop-motion/e2e';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineDirs } from '../src/dirs.js';
import { type JobState, JobStore, newJob } from '../src/jobs.js';
import { Quarantine } from '../src/quarantine.js';

describe('JobStore', () => {
  let tmp: TempDir | null = null;
  afterEach(async () => {
    await tmp?.remove();
    tmp = null;
  });
  const store = async () => {
    tmp = await tempDir('jobs');
    return new JobStore(tmp.path);
  };
  const onDisk = async (id: string) => JSON.parse(await readFile(path.join(tmp?.path ?? '', 'jobs', `${id}.json`), 'utf8'));

  it('put records a new job and refuses to replace one', async () => {
    const jobs = await store();
    await jobs.put(newJob('film1'));
    await jobs.update('film1', { state: 'rendering' });
    await expect(jobs.put(newJob('film1'))).rejects.toThrow(/exists already/);
    expect(jobs.get('film1')?.state).toBe('rendering');
    expect((await onDisk('film1')).state).toBe('rendering');
  });

  it('receive makes a new job received', async () => {
    const jobs = await store();
    expect((await jobs.receive('film2')).state).toBe('received');
    expect((await onDisk('film2')).state).toBe('received');
  });

  it.each([false, true])('a delivery refused at the door is quarantined in one write, never received first (again: %s)', async (again) => {
    const jobs = await store();
    if (again) await jobs.put({ ...newJob('film4'), state: 'failed', reason: 'before' });
    const seen: string[] = [];
    jobs.onChange = (_before, after) => seen.push(after.state);
    const job = await jobs.receive('film4', new Date(), { reason: 'manifest.json is missing' });
    expect(job).toMatchObject({ state: 'quarantined', reason: 'manifest.json is missing' });
    expect(seen).toEqual(['quarantined']);
    expect((await onDisk('film4')).state).toBe('quarantined');
  });

  it.each(['quarantined', 'failed'] as const)('receive starts a %s job afresh (a re-delivery)', async (state) => {
    const jobs = await store();
    await jobs.put({ ...newJob('film3'), state, reason: 'before', renderFailures: 3 });
    const again = await jobs.receive('film3');
    expect(again).toMatchObject({ state: 'received', reason: null, renderFailures: 0 });
    expect((await onDisk('film3')).state).toBe('received');
  });

  it.each(['received', 'rendering', 'rendered', 'uploading', 'done', 'removed'] as JobState[])(
    'receive leaves a %s job as it is',
    async (state) => {
      const jobs = await store();
      await jobs.put({ ...newJob('film4'), state });
      await expect(jobs.receive('film4')).rejects.toThrow(/only a quarantined or failed one/);
      expect(jobs.get('film4')?.state).toBe(state);
    },
  );
});

describe('Quarantine of a refused delivery', () => {
  it('puts the job on record quarantined without a moment as received, so no render takes it up', async () => {
    const tmp = await tempDir('quarantine');
    try {
      const dirs = pipelineDirs({ dataDir: path.join(tmp.path, 'data'), inboxDir: path.join(tmp.path, 'inbox') });
      await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
      const jobs = new JobStore(path.join(tmp.path, 'data'));
      const seen: string[] = [];
      jobs.onChange = (_before, after) => seen.push(after.state);
      const delivered = path.join(dirs.inbox, 'film5');
      await mkdir(delivered, { recursive: true });
      await writeFile(path.join(delivered, 'DONE'), '');
      await new Quarantine({ dirs, jobs, log: pino({ level: 'silent' }) }).delivery('film5', delivered, 'manifest.json is missing');
      expect(seen).toEqual(['quarantined']);
      expect(await readFile(path.join(dirs.quarantine, 'film5', 'REASON'), 'utf8')).toBe('manifest.json is missing\n');
    } finally {
      await tmp.remove();
    }
  });
});
