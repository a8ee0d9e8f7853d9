import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '@stop-motion/kit';
import { type PipelineDirs, packageDirOf, workDirOf } from './dirs.js';
import { fsyncDir } from './files.js';
import type { Job, JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { DroppedFrame } from './validate.js';

export interface StrayQuarantine {
  name: string;
  reason: string;
  at: string;
}

/**
 * Setting a package aside with its reason (a REASON file beside it, and the job's
 * record), so nothing is lost and an operator sees why. Ingest uses it for deliveries
 * refused at the door, the render worker for packages that cannot become a film.
 */
export class Quarantine {
  /** Entries that never had a job (a name that is not a movie id, a DONE that is not a file); newest last. */
  readonly strays: StrayQuarantine[] = [];

  constructor(private readonly deps: { dirs: PipelineDirs; jobs: JobStore; log: Logger }) {}

  /** A delivery refused before it is taken in: on record as a quarantined job, so a later complete delivery still makes the film. */
  async delivery(id: string, dir: string, reason: string): Promise<void> {
    const target = path.join(this.deps.dirs.quarantine, id);
    await rm(target, { recursive: true, force: true });
    await rename(dir, target);
    await writeFile(path.join(target, 'REASON'), `${reason}\n`);
    await fsyncDir(this.deps.dirs.quarantine);
    await this.deps.jobs.receive(id, new Date(), { reason });
    this.deps.log.warn({ event: 'package.quarantined', id, reason }, 'package quarantined');
  }

  /** An inbox entry that cannot have a job: kept under a made-up name with its original one in REASON. */
  async stray(name: string, dir: string | Buffer, reason: string): Promise<void> {
    const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'package';
    const target = path.join(this.deps.dirs.quarantine, `invalid-${safe}-${Date.now()}`);
    await rename(dir, target);
    await writeFile(path.join(target, 'REASON'), `${reason}\noriginal name: ${JSON.stringify(name)}\n`);
    this.strays.push({ name: name.slice(0, 80), reason, at: new Date().toISOString() });
    if (this.strays.length > 100) this.strays.shift();
    this.deps.log.warn({ event: 'package.quarantined', name: name.slice(0, 80), reason }, 'package quarantined');
  }

  /** A taken-in package that cannot become a film: its files move out of work/ with every dropped frame's reason. */
  async job(job: Job, reason: string, dropped: DroppedFrame[]): Promise<void> {
    const workDir = workDirOf(this.deps.dirs, job.id);
    const target = path.join(this.deps.dirs.quarantine, job.id);
    await rm(target, { recursive: true, force: true });
    const pkg = packageDirOf(this.deps.dirs, job.id);
    if (await exists(pkg)) await rename(pkg, target);
    else await mkdir(target, { recursive: true });
    const lines = [reason, ...dropped.map((d) => `dropped ${d.file}: ${d.reason}`)];
    await writeFile(path.join(target, 'REASON'), `${lines.join('\n')}\n`);
    await fsyncDir(this.deps.dirs.quarantine);
    await this.deps.jobs.update(job.id, { state: 'quarantined', reason, dropped });
    this.deps.log.warn({ event: 'package.quarantined', id: job.id, reason }, 'package quarantined');
    await rm(workDir, { recursive: true, force: true });
  }
}
