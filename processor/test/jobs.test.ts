import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type TempDir, tempDir } from '@stop-motion/e2e';
import { afterEach, describe, expect, it } from 'vitest';
import { type JobState, JobStore, newJob } from '../src/jobs.js';

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
