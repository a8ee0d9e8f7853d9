import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type TempDir, tempDir } from '@stop-motion/e2e';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineDirs } from '../src/dirs.js';
import { type Job, type JobState, JobStore, newJob } from '../src/jobs.js';
import { planRecovery, type RecoveryAction, recover, type WorkDirEntry } from '../src/recovery.js';

const job = (id: string, state: JobState) => ({ id, state });

describe('planRecovery', () => {
  const cases: Array<{ name: string; jobs: Array<{ id: string; state: JobState }>; work: WorkDirEntry[]; plan: RecoveryAction[] }> = [
    { name: 'nothing on record, nothing in work/', jobs: [], work: [], plan: [] },
    {
      name: 'a package taken in just before a crash, without a job file, is adopted and queued',
      jobs: [],
      work: [{ name: 'a1', hasPackage: true }],
      plan: [
        { kind: 'adopt', id: 'a1' },
        { kind: 'resume', id: 'a1', state: 'received' },
      ],
    },
    {
      name: 'a work dir with neither job nor package is discarded',
      jobs: [],
      work: [{ name: 'a1', hasPackage: false }],
      plan: [{ kind: 'discard', id: 'a1' }],
    },
    {
      name: 'a work dir that is not a movie id is left alone',
      jobs: [],
      work: [
        { name: '.tmp', hasPackage: true },
        { name: 'x.y', hasPackage: false },
      ],
      plan: [],
    },
    {
      name: 'a work dir with a job is the job’s, whatever is in it',
      jobs: [job('a1', 'done')],
      work: [{ name: 'a1', hasPackage: false }],
      plan: [],
    },
    {
      name: 'a cut-short render has its orphan ffmpeg ended, then renders again',
      jobs: [job('r1', 'rendering')],
      work: [],
      plan: [
        { kind: 'kill-leftover', id: 'r1' },
        { kind: 'resume', id: 'r1', state: 'rendering' },
      ],
    },
    {
      name: 'a rendered film is handed to the screen and the upload',
      jobs: [job('r2', 'rendered')],
      work: [],
      plan: [{ kind: 'hand-off', id: 'r2' }],
    },
    {
      name: 'received and uploading jobs resume with their workers',
      jobs: [job('q1', 'received'), job('u1', 'uploading')],
      work: [],
      plan: [
        { kind: 'resume', id: 'q1', state: 'received' },
        { kind: 'resume', id: 'u1', state: 'uploading' },
      ],
    },
    {
      name: 'finished, failed, quarantined and removed jobs need nothing',
      jobs: [job('d1', 'done'), job('f1', 'failed'), job('k1', 'quarantined'), job('x1', 'removed')],
      work: [],
      plan: [],
    },
    {
      name: 'adopted packages queue behind the jobs on record',
      jobs: [job('q1', 'received')],
      work: [
        { name: 'n1', hasPackage: true },
        { name: 'q1', hasPackage: true },
      ],
      plan: [
        { kind: 'adopt', id: 'n1' },
        { kind: 'resume', id: 'q1', state: 'received' },
        { kind: 'resume', id: 'n1', state: 'received' },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(planRecovery(c.jobs, c.work)).toEqual(c.plan);
    });
  }
});

describe('recover', () => {
  let tmp: TempDir | null = null;
  afterEach(async () => {
    await tmp?.remove();
    tmp = null;
  });

  it('carries out the plan on disk: adopts, discards, hands off', async () => {
    tmp = await tempDir('recovery');
    const dataDir = tmp.path;
    const dirs = pipelineDirs({ dataDir, inboxDir: path.join(dataDir, 'inbox') });
    await mkdir(path.join(dirs.work, 'adoptme', 'package'), { recursive: true });
    await mkdir(path.join(dirs.work, 'empty1'), { recursive: true });
    await mkdir(path.join(dataDir, 'jobs'), { recursive: true });
    const rendered: Job = { ...newJob('film01'), state: 'rendered', publish: 'private' };
    await writeFile(path.join(dataDir, 'jobs', 'film01.json'), JSON.stringify(rendered));
    const jobs = new JobStore(dataDir);
    const handedOff: string[] = [];
    await recover({
      jobs,
      dirs,
      log: pino({ level: 'silent' }),
      handOff: async (j) => {
        handedOff.push(j.id);
      },
    });
    expect(jobs.get('adoptme')?.state).toBe('received');
    expect(JSON.parse(await readFile(path.join(dataDir, 'jobs', 'adoptme.json'), 'utf8')).state).toBe('received');
    expect(await readdir(dirs.work)).toEqual(['adoptme']);
    expect(handedOff).toEqual(['film01']);
  });
});
