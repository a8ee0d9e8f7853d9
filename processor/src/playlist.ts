import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isValidId } from '@stop-motion/protocol';
import { z } from 'zod';
import { writeFileAtomic } from './files.js';

export const playlistEntrySchema = z.object({ id: z.string().refine(isValidId), file: z.string() });
export type PlaylistEntry = z.infer<typeof playlistEntrySchema>;

const playlistFileSchema = z.object({
  films: z.array(playlistEntrySchema),
  current: z.string().nullable(),
  removed: z.array(z.string()),
  /** Films added that have not been on screen yet. */
  fresh: z.array(z.string()).default([]),
});
export type PlaylistState = z.infer<typeof playlistFileSchema>;

/**
 * Puts `entry` next: right after the film on screen and after any other new films
 * still waiting for their premiere (first come, first shown); at the end when nothing
 * plays. No-op when it is already there.
 */
export function insertNext(
  films: readonly PlaylistEntry[],
  current: string | null,
  entry: PlaylistEntry,
  fresh: ReadonlySet<string> = new Set(),
): PlaylistEntry[] {
  if (films.some((f) => f.id === entry.id)) return [...films];
  const out = [...films];
  let at = current === null ? -1 : films.findIndex((f) => f.id === current);
  if (at === -1) {
    out.push(entry);
    return out;
  }
  while (at + 1 < films.length && fresh.has(films[at + 1]?.id ?? '')) at++;
  out.splice(at + 1, 0, entry);
  return out;
}

/** Keeps at most `max` films, dropping the oldest (never the one on screen or the one just added). */
export function trimPlaylist(films: readonly PlaylistEntry[], max: number, keep: ReadonlySet<string>): PlaylistEntry[] {
  const out = [...films];
  let i = 0;
  while (out.length > max && i < out.length) {
    const entry = out[i];
    if (entry && !keep.has(entry.id)) out.splice(i, 1);
    else i++;
  }
  return out;
}

/** The big screen's own playlist, kept on disk so a restart of mpv or of the processor restores it. */
export class PlaylistStore {
  private state: PlaylistState = { films: [], current: null, removed: [], fresh: [] };
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly max: number,
  ) {
    this.file = path.join(dataDir, 'playlist.json');
  }

  async load(): Promise<void> {
    try {
      const parsed = playlistFileSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      if (parsed.success) this.state = parsed.data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
  }

  get films(): readonly PlaylistEntry[] {
    return this.state.films;
  }

  get current(): string | null {
    return this.state.current;
  }

  ids(): string[] {
    return this.state.films.map((f) => f.id);
  }

  isRemoved(id: string): boolean {
    return this.state.removed.includes(id);
  }

  /** Returns false when nothing changed (already listed, or taken down). */
  async add(entry: PlaylistEntry): Promise<boolean> {
    if (this.isRemoved(entry.id) || this.state.films.some((f) => f.id === entry.id)) return false;
    const films = insertNext(this.state.films, this.state.current, entry, new Set(this.state.fresh));
    const keep = new Set([entry.id, ...this.state.fresh, ...(this.state.current ? [this.state.current] : [])]);
    const trimmed = trimPlaylist(films, this.max, keep);
    const fresh = [...this.state.fresh, entry.id].filter((id) => trimmed.some((f) => f.id === id));
    this.state = { ...this.state, films: trimmed, fresh };
    await this.save();
    return true;
  }

  async remove(id: string): Promise<boolean> {
    const had = this.state.films.some((f) => f.id === id);
    const removed = this.state.removed.includes(id) ? this.state.removed : [...this.state.removed, id].slice(-1000);
    this.state = {
      ...this.state,
      films: this.state.films.filter((f) => f.id !== id),
      removed,
      fresh: this.state.fresh.filter((f) => f !== id),
    };
    await this.save();
    return had;
  }

  /** A film shown again (moderation undone) goes back at the end of the loop. */
  async restore(entry: PlaylistEntry): Promise<void> {
    this.state = { ...this.state, removed: this.state.removed.filter((r) => r !== entry.id) };
    if (!this.state.films.some((f) => f.id === entry.id)) this.state.films = [...this.state.films, entry];
    await this.save();
  }

  async setCurrent(id: string | null): Promise<void> {
    if (this.state.current === id) return;
    this.state = { ...this.state, current: id, fresh: this.state.fresh.filter((f) => f !== id) };
    await this.save();
  }

  private save(): Promise<void> {
    const snapshot = `${JSON.stringify(this.state, null, 2)}\n`;
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.file, snapshot));
    return this.writing;
  }
}
