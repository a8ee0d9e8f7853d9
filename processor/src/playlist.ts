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
});
export type PlaylistState = z.infer<typeof playlistFileSchema>;

/** Puts `entry` right after the one on screen (or first when nothing plays); no-op when it is already there. */
export function insertNext(films: readonly PlaylistEntry[], current: string | null, entry: PlaylistEntry): PlaylistEntry[] {
  if (films.some((f) => f.id === entry.id)) return [...films];
  const at = current === null ? -1 : films.findIndex((f) => f.id === current);
  const out = [...films];
  out.splice(at === -1 ? films.length : at + 1, 0, entry);
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
  private state: PlaylistState = { films: [], current: null, removed: [] };
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
    const films = insertNext(this.state.films, this.state.current, entry);
    const keep = new Set([entry.id, ...(this.state.current ? [this.state.current] : [])]);
    this.state = { ...this.state, films: trimPlaylist(films, this.max, keep) };
    await this.save();
    return true;
  }

  async remove(id: string): Promise<boolean> {
    const had = this.state.films.some((f) => f.id === id);
    const removed = this.state.removed.includes(id) ? this.state.removed : [...this.state.removed, id].slice(-1000);
    this.state = { ...this.state, films: this.state.films.filter((f) => f.id !== id), removed };
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
    this.state = { ...this.state, current: id };
    await this.save();
  }

  private save(): Promise<void> {
    const snapshot = `${JSON.stringify(this.state, null, 2)}\n`;
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.file, snapshot));
    return this.writing;
  }
}
