import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { withDeadline } from '@stop-motion/kit';
import { isValidId, type ReconcileReport } from '@stop-motion/protocol';
import { errorMessage, writeFileAtomic } from './files.js';
import type { JobStore } from './jobs.js';
import type { Logger } from './log.js';
import type { Player } from './player.js';
import type { WriteOnceUploader } from './write-once.js';

export interface RemovalDeps {
  jobs: JobStore;
  player: Player;
  dirs: { films: string; work: string; quarantine: string };
  log: Logger;
}

/**
 * The owner removed the film: off the big screen, its rendered copy and any package
 * left of it (being worked on or quarantined) deleted, and its job marked `removed`, a state nothing leaves, so a
 * re-delivery is dropped and no render or upload starts again.
 */
export async function removeFilm(deps: RemovalDeps, id: string, why: string): Promise<void> {
  if (!isValidId(id)) return;
  await deps.player.remove(id);
  await rm(path.join(deps.dirs.films, id), { recursive: true, force: true });
  await rm(path.join(deps.dirs.work, id), { recursive: true, force: true });
  // A quarantined package holds the child's frames too.
  await rm(path.join(deps.dirs.quarantine, id), { recursive: true, force: true });
  const job = deps.jobs.get(id);
  if (job && job.state !== 'removed') {
    await deps.jobs.update(id, { state: 'removed', reason: `removed by its owner (${why})` });
    deps.log.info({ event: 'film.removed', id, why }, 'film removed');
  }
}

/**
 * What S3 says of an id a new package claims, before anything is rendered for it. It
 * holds up the render queue, so it gets a short deadline: a stopped S3 defers the
 * check to the upload instead of delaying every premiere.
 */
export async function publicIdState(uploader: WriteOnceUploader, id: string, deadlineMs = 5000): Promise<'free' | 'removed' | 'taken'> {
  return withDeadline(`S3 check of ${id}`, deadlineMs, async () => {
    if (await uploader.isRemoved(id)) return 'removed' as const;
    return (await uploader.readMeta(id)) ? ('taken' as const) : ('free' as const);
  });
}

/**
 * Films off the big screen because moderation hid them (a notice or the bucket), kept in
 * `<data>/hidden.json`. Only these come back by themselves when unhidden; a film an
 * operator took down stays down.
 */
export class HiddenSet {
  private ids = new Set<string>();
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'hidden.json');
  }

  async load(): Promise<void> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (Array.isArray(parsed)) this.ids = new Set(parsed.filter(isValidId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  all(): string[] {
    return [...this.ids];
  }

  add(id: string): Promise<void> {
    if (this.ids.has(id)) return this.writing;
    this.ids.add(id);
    return this.save();
  }

  delete(id: string): Promise<void> {
    if (!this.ids.delete(id)) return this.writing;
    return this.save();
  }

  private save(): Promise<void> {
    const snapshot = `${JSON.stringify([...this.ids].slice(-5000))}\n`;
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.file, snapshot));
    return this.writing;
  }
}

export interface ReconcileDeps extends RemovalDeps {
  uploader: WriteOnceUploader;
  hidden: HiddenSet;
  /** Puts a film back on the big screen (moderation undone). */
  showAgain: (id: string) => Promise<void>;
  intervalMs: number;
  /** How many films are looked up in S3 at once. */
  concurrency?: number;
}

export type { ReconcileReport } from '@stop-motion/protocol';

/**
 * A hide or a removal announced while Redis was down never arrives as a notice; the
 * bucket still says it. So the big screen's playlist and the films kept here are
 * compared with each film's meta.json (`hidden`) and tombstone (`REMOVED`) at start,
 * every `intervalMs`, and whenever Redis comes back.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport> | null = null;
  private again = false;
  private stopped = false;
  last: ReconcileReport | null = null;

  constructor(private readonly deps: ReconcileDeps) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.run('interval'), this.deps.intervalMs);
    this.timer.unref();
    void this.run('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One pass at a time; a request during a pass runs one more right after it. */
  run(why: string): Promise<ReconcileReport> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let report: ReconcileReport;
      do {
        this.again = false;
        report = await this.pass(why);
      } while (this.again && !this.stopped);
      return report;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Checks one film at once (a removal notice): the tombstone decides, not the notice. */
  async checkRemoved(id: string, why: string): Promise<boolean> {
    if (!(await this.deps.uploader.isRemoved(id))) return false;
    await removeFilm(this.deps, id, why);
    return true;
  }

  private candidates(): string[] {
    const ids = new Set<string>();
    for (const j of this.deps.jobs.all()) {
      if (j.state === 'removed') continue;
      if (j.publish === 'public' && ['rendered', 'uploading', 'done', 'failed'].includes(j.state)) ids.add(j.id);
    }
    // Films on screen whose job is gone or unknown are asked too; private ones are never in S3.
    for (const id of this.deps.player.status().playlist) {
      const job = this.deps.jobs.get(id);
      if (job?.publish !== 'private') ids.add(id);
    }
    for (const id of this.deps.hidden.all()) ids.add(id);
    return [...ids];
  }

  private async pass(why: string): Promise<ReconcileReport> {
    const report: ReconcileReport = { at: new Date().toISOString(), checked: 0, hidden: [], shown: [], removed: [], error: null };
    try {
      // A removal that raced a render or an upload may have left files behind: they go too.
      for (const j of this.deps.jobs.all()) if (j.state === 'removed') await removeFilm(this.deps, j.id, 'sweep');
      const queue = this.candidates();
      const onScreen = new Set(this.deps.player.status().playlist);
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined && !this.stopped; id = queue.shift()) {
          report.checked++;
          if (await this.checkRemoved(id, `reconcile: ${why}`)) {
            await this.deps.hidden.delete(id);
            report.removed.push(id);
            continue;
          }
          const wasHidden = this.deps.hidden.has(id);
          if (!onScreen.has(id) && !wasHidden) continue;
          const meta = await this.deps.uploader.readMeta(id);
          if (meta?.hidden && onScreen.has(id)) {
            await this.deps.player.remove(id);
            await this.deps.hidden.add(id);
            report.hidden.push(id);
            this.deps.log.info({ event: 'film.taken_down', id, why }, 'film taken down');
          } else if (meta && !meta.hidden && wasHidden) {
            await this.deps.showAgain(id);
            await this.deps.hidden.delete(id);
            report.shown.push(id);
            this.deps.log.info({ event: 'film.shown_again', id, why }, 'film shown again');
          }
        }
      };
      await Promise.all(Array.from({ length: this.deps.concurrency ?? 4 }, worker));
    } catch (err) {
      report.error = errorMessage(err);
      this.deps.log.warn({ event: 'reconcile.failed', why, err: report.error }, 'reconcile failed');
    }
    if (report.error === null) {
      const { checked, hidden, shown, removed } = report;
      const changed = hidden.length + shown.length + removed.length > 0;
      this.deps.log[changed ? 'info' : 'debug']({ event: 'reconcile.done', why, checked, hidden, shown, removed }, 'reconcile done');
    }
    this.last = report;
    return report;
  }
}
