import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { droppedFrameSchema, isValidId, type JobState, jobStateSchema, publishSchema } from '@stop-motion/protocol';
import { z } from 'zod';
import { writeFileAtomic } from './files.js';

export { type JobState, jobStateSchema } from '@stop-motion/protocol';

/** One JSON file per package under `<data>/jobs/`; the only record of where its work stands. */
export const jobSchema = z.object({
  id: z.string().refine(isValidId),
  state: jobStateSchema,
  receivedAt: z.string(),
  updatedAt: z.string(),
  publish: publishSchema.nullable(),
  title: z.string().nullable(),
  stationId: z.string().nullable(),
  createdAt: z.string().nullable(),
  ownerKeyHash: z.string().nullable(),
  fps: z.number().nullable(),
  frameCount: z.number().int().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  durationSec: z.number().nullable(),
  hasPreview: z.boolean(),
  /** The film carries its soundtrack; job files from before sound have none. */
  audio: z.boolean().default(false),
  dropped: z.array(droppedFrameSchema),
  renderFailures: z.number().int(),
  renderStartedAt: z.string().nullable(),
  renderMs: z.number().nullable(),
  uploaded: z.object({ video: z.boolean(), poster: z.boolean(), preview: z.boolean(), meta: z.boolean() }),
  uploadAttempts: z.number().int(),
  lastUploadError: z.string().nullable(),
  nextUploadAt: z.string().nullable(),
  uploadedAt: z.string().nullable(),
  doneAt: z.string().nullable(),
  /** Why it failed or was quarantined. */
  reason: z.string().nullable(),
});
export type Job = z.infer<typeof jobSchema>;

export function newJob(id: string, now = new Date()): Job {
  const at = now.toISOString();
  return {
    id,
    state: 'received',
    receivedAt: at,
    updatedAt: at,
    publish: null,
    title: null,
    stationId: null,
    createdAt: null,
    ownerKeyHash: null,
    fps: null,
    frameCount: null,
    width: null,
    height: null,
    durationSec: null,
    hasPreview: false,
    audio: false,
    dropped: [],
    renderFailures: 0,
    renderStartedAt: null,
    renderMs: null,
    uploaded: { video: false, poster: false, preview: false, meta: false },
    uploadAttempts: 0,
    lastUploadError: null,
    nextUploadAt: null,
    uploadedAt: null,
    doneAt: null,
    reason: null,
  };
}

/** Which states a job may move to; anything else is a bug and throws. */
const NEXT: Record<JobState, readonly JobState[]> = {
  received: ['received', 'rendering', 'quarantined', 'failed', 'removed'],
  rendering: ['rendering', 'rendered', 'received', 'quarantined', 'failed', 'removed'],
  rendered: ['rendered', 'review', 'uploading', 'done', 'removed'],
  review: ['review', 'uploading', 'done', 'removed'],
  uploading: ['uploading', 'done', 'failed', 'removed'],
  done: ['done', 'removed'],
  failed: ['failed', 'received', 'removed'],
  quarantined: ['quarantined', 'received', 'removed'],
  removed: ['removed'],
};

export function canMove(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

/** The job records, in memory and on disk; every change is written durably before it counts. */
export class JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly dir: string;
  /** Told of every durable change (metrics); must not throw. */
  onChange: ((before: Job | undefined, after: Job) => void) | null = null;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'jobs');
  }

  async load(onBad: (file: string, reason: string) => void): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      if (name.startsWith('.')) {
        // A temp file left by a crash mid-write: the rename never happened, so it is garbage.
        await rm(path.join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const job = jobSchema.parse(JSON.parse(await readFile(path.join(this.dir, name), 'utf8')));
        if (`${job.id}.json` !== name) throw new Error('file name does not match the job id');
        this.jobs.set(job.id, job);
      } catch (err) {
        onBad(name, (err as Error).message);
      }
    }
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  all(): Job[] {
    return [...this.jobs.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
  }

  /** Applies `change`, checks the state transition, and writes the record before returning it. */
  async update(id: string, change: Partial<Job>): Promise<Job> {
    const current = this.jobs.get(id);
    if (!current) throw new Error(`no job ${id}`);
    if (change.state && !canMove(current.state, change.state)) {
      throw new Error(`job ${id}: ${current.state} → ${change.state} is not allowed`);
    }
    const next: Job = { ...current, ...change, updatedAt: new Date().toISOString() };
    await this.write(next);
    return next;
  }

  /** Records a job that does not exist yet; an existing one only changes through `update` or `receive`. */
  async put(job: Job): Promise<Job> {
    if (this.jobs.has(job.id)) throw new Error(`job ${job.id} exists already; it is not replaced`);
    await this.write(job);
    return job;
  }

  /**
   * A package taken in for `id`: a new received job, or, for a re-delivery of a package
   * that was quarantined or failed, the old record started afresh — only where the state
   * machine lets it go back to `received`. A delivery refused at the door is `refused`:
   * recorded quarantined in the same write, so the render worker never sees it received
   * with its files already gone to the quarantine.
   */
  async receive(id: string, now = new Date(), refused?: { reason: string }): Promise<Job> {
    const current = this.jobs.get(id);
    const fresh: Job = refused ? { ...newJob(id, now), state: 'quarantined', reason: refused.reason } : newJob(id, now);
    if (!current) return this.put(fresh);
    const again = current.state === 'quarantined' || current.state === 'failed';
    if (!again || !canMove(current.state, 'received')) {
      throw new Error(`job ${id} is ${current.state}; only a quarantined or failed one is received again`);
    }
    await this.write(fresh);
    return fresh;
  }

  private async write(job: Job): Promise<void> {
    if (!isValidId(job.id)) throw new Error('invalid job id');
    await writeFileAtomic(path.join(this.dir, `${job.id}.json`), `${JSON.stringify(job, null, 2)}\n`);
    const before = this.jobs.get(job.id);
    this.jobs.set(job.id, job);
    this.onChange?.(before, job);
  }
}
