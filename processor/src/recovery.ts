import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '@stop-motion/kit';
import { isValidId } from '@stop-motion/protocol';
import { type PipelineDirs, packageDirOf, TOOL_PID_FILE, workDirOf } from './dirs.js';

import { type Job, type JobState, type JobStore, newJob } from './jobs.js';
import type { Logger } from './log.js';

/** A directory under work/, as found at start. */
export interface WorkDirEntry {
  name: string;
  /** work/<name>/package exists: the package was taken in. */
  hasPackage: boolean;
}

export type RecoveryAction =
  /** A package moved out of the inbox just before a crash has no job file yet: it becomes a received job. */
  | { kind: 'adopt'; id: string }
  /** A work dir with neither a job nor a package (a take cut short before the move): nothing in it matters. */
  | { kind: 'discard'; id: string }
  /** A render was cut short: the ffmpeg it started may still run as an orphan. */
  | { kind: 'kill-leftover'; id: string }
  /** Rendered but not yet on the screen or queued for upload: that step is done now. */
  | { kind: 'hand-off'; id: string }
  /** Picked up by its worker as it is; only logged. */
  | { kind: 'resume'; id: string; state: JobState };

/**
 * What a start must do about the state a stop or a power cut left: pure, from the
 * loaded jobs (in queue order) and the work directories, so every case has a table test.
 * Names that are not movie ids are left alone.
 */
export function planRecovery(jobs: readonly Pick<Job, 'id' | 'state'>[], workDirs: readonly WorkDirEntry[]): RecoveryAction[] {
  const known = new Set(jobs.map((j) => j.id));
  const actions: RecoveryAction[] = [];
  const adopted: string[] = [];
  for (const entry of workDirs) {
    if (!isValidId(entry.name) || known.has(entry.name)) continue;
    if (entry.hasPackage) {
      actions.push({ kind: 'adopt', id: entry.name });
      adopted.push(entry.name);
    } else {
      actions.push({ kind: 'discard', id: entry.name });
    }
  }
  // Adopted jobs are received now, so they queue behind every job already on record.
  for (const job of [...jobs, ...adopted.map((id) => ({ id, state: 'received' as const }))]) {
    if (job.state === 'rendering') actions.push({ kind: 'kill-leftover', id: job.id });
    if (job.state === 'rendered') actions.push({ kind: 'hand-off', id: job.id });
    else if (job.state === 'rendering' || job.state === 'received' || job.state === 'uploading') {
      actions.push({ kind: 'resume', id: job.id, state: job.state });
    }
  }
  return actions;
}

export interface RecoveryDeps {
  jobs: JobStore;
  dirs: PipelineDirs;
  log: Logger;
  /** The render worker's step after `rendered`. */
  handOff: (job: Job) => Promise<void>;
}

/** Loads the job records, looks at work/, and carries out `planRecovery`'s plan. */
export async function recover(deps: RecoveryDeps): Promise<void> {
  await deps.jobs.load((file, reason) => deps.log.error({ event: 'job.unreadable', file, reason }, 'job unreadable'));
  const workDirs: WorkDirEntry[] = [];
  for (const name of await readdir(deps.dirs.work)) {
    if (!isValidId(name) || deps.jobs.has(name)) continue;
    workDirs.push({ name, hasPackage: await exists(packageDirOf(deps.dirs, name)) });
  }
  for (const action of planRecovery(deps.jobs.all(), workDirs)) {
    switch (action.kind) {
      case 'adopt':
        await deps.jobs.put(newJob(action.id));
        deps.log.info({ event: 'job.recovered', id: action.id }, 'job recovered');
        break;
      case 'discard':
        await rm(workDirOf(deps.dirs, action.id), { recursive: true, force: true });
        break;
      case 'kill-leftover':
        await killLeftoverTool(workDirOf(deps.dirs, action.id), deps.log);
        break;
      case 'hand-off': {
        const job = deps.jobs.get(action.id);
        if (job) await deps.handOff(job);
        break;
      }
      case 'resume':
        deps.log.info({ event: 'job.resumed', id: action.id, state: action.state }, 'job resumed');
        break;
    }
  }
}

/**
 * An ffmpeg started by a processor that was then killed keeps running as an orphan.
 * Its pid was recorded; it is ended only if that pid still runs an ffmpeg working in
 * this job's directory (pids get reused).
 */
async function killLeftoverTool(workDir: string, log: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(path.join(workDir, TOOL_PID_FILE), 'utf8'), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!/ff(mpeg|probe)$/.test(cmdline[0] ?? '') || !cmdline.some((a) => a.startsWith(workDir))) return;
    process.kill(pid, 'SIGKILL');
    log.info({ event: 'render.leftover_killed', pid }, 'render leftover killed');
  } catch {
    // Gone already.
  }
}
