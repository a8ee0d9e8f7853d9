import { lstat, mkdir, readdir, rename, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Cleaned, RetentionStatus } from '@stop-motion/protocol';
import { errorMessage } from './files.js';
import { AREA_MARKER, isUtf8Name, joinBytes, showName } from './intake.js';
import type { Logger } from './log.js';

export interface RetentionConfig {
  /** Between sweeps. */
  intervalMs: number;
  /** An inbox entry untouched this long (an abandoned delivery) is moved to the quarantine. 0 = never. */
  inboxStaleMs: number;
  /** Quarantined packages older than this are deleted. 0 = no age limit. */
  quarantineMaxAgeMs: number;
  /** The quarantine is kept under this size, oldest deleted first. 0 = no size limit. */
  quarantineMaxBytes: number;
  /** Local film copies older than this are deleted (never one still needed). 0 = no age limit. */
  filmsMaxAgeMs: number;
  /** The local films are kept under this size, oldest first. 0 = no size limit. */
  filmsMaxBytes: number;
  /** Below this much free space, the quarantine and then films go, oldest first, until it is back. 0 = off. */
  minFreeBytes: number;
}

export type { Cleaned } from '@stop-motion/protocol';

interface Entry {
  name: Buffer;
  shown: string;
  full: Buffer;
  mtimeMs: number;
  bytes: number;
}

/** Size and newest modification time of a tree, never following links. */
async function measure(target: Buffer, depth = 0): Promise<{ bytes: number; newest: number }> {
  const st = await lstat(target);
  let bytes = st.isFile() ? st.size : 0;
  let newest = st.mtimeMs;
  if (st.isDirectory() && depth < 8) {
    for (const name of await readdir(target, { encoding: 'buffer' }).catch(() => [] as Buffer[])) {
      const inner = await measure(joinBytes(target, name), depth + 1).catch(() => ({ bytes: 0, newest: 0 }));
      bytes += inner.bytes;
      newest = Math.max(newest, inner.newest);
    }
  }
  return { bytes, newest };
}

/** The entries of an area, oldest first; `newestInside` dates a directory by its newest file (a delivery still trickling in). */
async function entries(dir: string | Buffer, newestInside: boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const name of await readdir(dir, { encoding: 'buffer' }).catch(() => [] as Buffer[])) {
    const full = joinBytes(dir, name);
    try {
      const st = await lstat(full);
      const m = await measure(full);
      out.push({ name, shown: showName(name), full, mtimeMs: newestInside ? m.newest : st.mtimeMs, bytes: m.bytes });
    } catch {
      // Gone meanwhile.
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/**
 * The inbox's deliveries, oldest first: packages at its top (the flat layout) and
 * those inside each station's area, never the area itself (it is that station's rsync
 * module: moving it away would stop the station's deliveries).
 */
async function inboxEntries(dir: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const e of await entries(dir, true)) {
    const isArea = await lstat(joinBytes(e.full, Buffer.from(AREA_MARKER))).then(
      () => true,
      () => false,
    );
    if (!isArea) {
      out.push(e);
      continue;
    }
    for (const inner of await entries(e.full, true)) {
      if (inner.name.toString('latin1') === AREA_MARKER) continue;
      out.push({ ...inner, shown: `${e.shown}/${inner.shown}` });
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/**
 * Keeps the inbox, the quarantine and the local films within their limits, oldest
 * first; a film still on the big screen's playlist or waiting for its upload is never
 * touched. What was removed is kept for the status page.
 */
export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly cleaned: Cleaned[] = [];
  private lastSweepAt: string | null = null;
  private totals = { entries: 0, bytes: 0 };

  constructor(
    private readonly options: {
      config: RetentionConfig;
      dirs: { inbox: string; quarantine: string; films: string; data: string };
      log: Logger;
      /** True for a film that must stay: on the playlist, or not yet uploaded. */
      isProtected: (id: string) => boolean;
      now?: () => number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.config.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  status(): RetentionStatus {
    return { lastSweepAt: this.lastSweepAt, totals: this.totals, cleaned: [...this.cleaned].reverse(), limits: { ...this.options.config } };
  }

  /** One sweep at a time; a failure is logged and the next sweep tries again. */
  sweep(): Promise<void> {
    if (!this.sweeping) {
      this.sweeping = this.sweepOnce()
        .catch((err: unknown) => this.options.log.error({ event: 'retention.failed', err: errorMessage(err) }, 'retention failed'))
        .finally(() => {
          this.sweeping = null;
        });
    }
    return this.sweeping;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private record(c: Omit<Cleaned, 'at'>): void {
    const entry = { ...c, at: new Date(this.now()).toISOString() };
    this.cleaned.push(entry);
    if (this.cleaned.length > 200) this.cleaned.shift();
    this.totals = { entries: this.totals.entries + 1, bytes: this.totals.bytes + c.bytes };
    this.options.log.info({ event: 'retention.cleaned', ...entry }, 'retention cleaned');
  }

  private async sweepOnce(): Promise<void> {
    const c = this.options.config;
    const now = this.now();
    if (c.inboxStaleMs > 0) {
      for (const e of await inboxEntries(this.options.dirs.inbox)) {
        if (now - e.mtimeMs < c.inboxStaleMs) break;
        await this.moveToQuarantine(e, `untouched in the inbox for ${Math.round((now - e.mtimeMs) / 3_600_000)} h`);
      }
    }
    const quarantine = await entries(this.options.dirs.quarantine, false);
    await this.trim('quarantine', quarantine, c.quarantineMaxAgeMs, c.quarantineMaxBytes, () => true);
    const films = await entries(this.options.dirs.films, false);
    const removable = (e: Entry) => !(isUtf8Name(e.name) && this.options.isProtected(e.name.toString('utf8')));
    await this.trim('films', films, c.filmsMaxAgeMs, c.filmsMaxBytes, removable);
    if (c.minFreeBytes > 0) {
      // Oldest first across both areas: quarantined packages before films of the same age.
      const pool = [
        ...quarantine.filter((e) => !this.gone.has(e)).map((e) => ({ e, area: 'quarantine' as const })),
        ...films.filter((e) => !this.gone.has(e) && removable(e)).map((e) => ({ e, area: 'films' as const })),
      ].sort((a, b) => a.e.mtimeMs - b.e.mtimeMs);
      for (const { e, area } of pool) {
        if ((await this.freeBytes()) >= c.minFreeBytes) break;
        await this.remove(area, e, `free space below ${Math.round(c.minFreeBytes / 1048576)} MB`);
      }
    }
    this.lastSweepAt = new Date(now).toISOString();
  }

  private readonly gone = new WeakSet<Entry>();

  private async trim(
    area: 'quarantine' | 'films',
    list: Entry[],
    maxAgeMs: number,
    maxBytes: number,
    removable: (e: Entry) => boolean,
  ): Promise<void> {
    const now = this.now();
    let total = list.reduce((sum, e) => sum + e.bytes, 0);
    for (const e of list) {
      if (!removable(e)) continue;
      const old = maxAgeMs > 0 && now - e.mtimeMs >= maxAgeMs;
      const over = maxBytes > 0 && total > maxBytes;
      if (!old && !over) continue;
      const reason = old
        ? `older than ${Math.round(maxAgeMs / 86_400_000)} day(s)`
        : `${area} over ${Math.round(maxBytes / 1048576)} MB, oldest first`;
      if (await this.remove(area, e, reason)) total -= e.bytes;
    }
  }

  private async remove(area: 'quarantine' | 'films', e: Entry, reason: string): Promise<boolean> {
    try {
      await rm(e.full, { recursive: true, force: true });
      this.gone.add(e);
      this.record({ area, name: e.shown, bytes: e.bytes, reason });
      return true;
    } catch (err) {
      this.options.log.warn({ event: 'retention.remove_failed', area, name: e.shown, err: errorMessage(err) }, 'retention remove failed');
      return false;
    }
  }

  /** An abandoned delivery is not deleted outright: it waits in the quarantine, which has its own limits. */
  private async moveToQuarantine(e: Entry, reason: string): Promise<void> {
    const safe = e.shown.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'entry';
    const target = path.join(this.options.dirs.quarantine, `stale-${safe}-${this.now()}`);
    try {
      await mkdir(this.options.dirs.quarantine, { recursive: true });
      await rename(e.full, target);
      const st = await lstat(target);
      if (st.isDirectory()) await writeFile(path.join(target, 'REASON'), `${reason}\noriginal name: ${e.shown}\n`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') {
        this.options.log.warn(
          { event: 'retention.remove_failed', area: 'inbox', name: e.shown, err: errorMessage(err) },
          'retention remove failed',
        );
        return;
      }
      // The inbox is on another file system: a copy would only move the problem; it goes.
      await rm(e.full, { recursive: true, force: true });
    }
    this.record({ area: 'inbox', name: e.shown, bytes: e.bytes, reason });
  }

  private async freeBytes(): Promise<number> {
    try {
      const s = await statfs(this.options.dirs.data);
      return s.bavail * s.bsize;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }
}
