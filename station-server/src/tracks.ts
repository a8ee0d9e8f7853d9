import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { type StationTrack, TRACKS_FILE, type Track, tracksFileSchema } from '@stop-motion/protocol';
import type { Logger } from './log.js';

/** tracks.json lists at most 16 tracks; anything far bigger is not one. */
const MAX_TRACKS_FILE_BYTES = 64 * 1024;

export interface LoadedTrack extends Track {
  /** The preview's file name inside the folder (the whole piece when it has none). */
  previewFile: string;
}

/**
 * The event's soundtracks from TRACKS_DIR, as the picker offers them. tracks.json is
 * read again whenever it changes (provisioning syncs the folder while the station
 * runs). A bad tracks.json means no music, with its reason logged once; a track whose
 * audio is missing is left out and the others stay.
 */
export class TrackLibrary {
  private tracks: LoadedTrack[] = [];
  /** What tracks.json looked like when last read; null: not read yet. */
  private signature: string | null = null;
  /** Some audio was missing: look again next time even if tracks.json did not change. */
  private incomplete = false;
  private loading: Promise<void> | null = null;
  /** The missing files last logged, so a folder that stays incomplete is not logged on every request. */
  private loggedMissing = '';

  constructor(private readonly options: { dir: string | undefined; log: Logger }) {}

  get dir(): string | undefined {
    return this.options.dir;
  }

  async list(): Promise<LoadedTrack[]> {
    if (!this.options.dir) return [];
    // Concurrent requests share one reload.
    this.loading ??= this.refresh(this.options.dir).finally(() => {
      this.loading = null;
    });
    await this.loading;
    return this.tracks;
  }

  async get(id: string): Promise<LoadedTrack | undefined> {
    return (await this.list()).find((t) => t.id === id);
  }

  /** What `GET /api/tracks` shows of a track (pure). */
  static public(t: LoadedTrack): StationTrack {
    return { id: t.id, mood: t.mood, title: t.title, author: t.author, licence: t.licence, previewUrl: `/tracks/${t.id}/preview` };
  }

  private async refresh(dir: string): Promise<void> {
    const file = path.join(dir, TRACKS_FILE);
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => err);
    const signature = info instanceof Error ? `error:${info.code}` : `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (signature === this.signature && !this.incomplete) return;
    const first = this.signature === null;
    this.signature = signature;
    this.incomplete = false;
    if (info instanceof Error) {
      this.tracks = [];
      this.options.log.warn(
        { event: 'tracks.missing', dir, reason: info.code === 'ENOENT' ? `no ${TRACKS_FILE}` : info.message },
        `no soundtracks: cannot read ${TRACKS_FILE} in TRACKS_DIR`,
      );
      return;
    }
    const checked = await checkTracksFolder(dir);
    if (!checked.ok) {
      this.tracks = [];
      this.options.log.warn(
        { event: 'tracks.invalid', file, reason: checked.reason },
        `no soundtracks: ${TRACKS_FILE} is not valid: ${checked.reason}`,
      );
      return;
    }
    this.incomplete = checked.missing.length > 0;
    const missingKey = JSON.stringify(checked.missing);
    for (const m of missingKey === this.loggedMissing ? [] : checked.missing) {
      this.options.log.warn(
        { event: 'tracks.file_missing', track: m.track, files: m.files },
        `track ${m.track} left out: ${m.files.join(', ')} missing or empty`,
      );
    }
    this.loggedMissing = missingKey;
    const usable = checked.tracks;
    this.tracks = usable;
    this.options.log.info(
      { event: first ? 'tracks.loaded' : 'tracks.reloaded', dir, tracks: usable.map((t) => t.id) },
      `${usable.length} soundtracks`,
    );
  }
}

/**
 * A tracks folder as the station would use it: tracks.json valid, and which tracks'
 * audio files are missing or empty. Never throws.
 */
export async function checkTracksFolder(
  dir: string,
): Promise<{ ok: true; tracks: LoadedTrack[]; missing: Array<{ track: string; files: string[] }> } | { ok: false; reason: string }> {
  const parsed = await readTracksFile(path.join(dir, TRACKS_FILE));
  if (!parsed.ok) return parsed;
  const tracks: LoadedTrack[] = [];
  const missing: Array<{ track: string; files: string[] }> = [];
  for (const t of parsed.tracks) {
    const previewFile = t.preview ?? t.file;
    const absent: string[] = [];
    for (const name of new Set([t.file, previewFile])) {
      const s = await stat(path.join(dir, name)).catch(() => null);
      if (!s?.isFile() || s.size === 0) absent.push(name);
    }
    if (absent.length > 0) missing.push({ track: t.id, files: absent });
    else tracks.push({ ...t, previewFile });
  }
  return { ok: true, tracks, missing };
}

/** Reads and validates tracks.json; never throws. */
export async function readTracksFile(file: string): Promise<{ ok: true; tracks: Track[] } | { ok: false; reason: string }> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_TRACKS_FILE_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_TRACKS_FILE_BYTES) return { ok: false, reason: `larger than ${MAX_TRACKS_FILE_BYTES} bytes` };
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON (${(err as Error).message})` };
  }
  const r = tracksFileSchema.safeParse(json);
  if (!r.success) return { ok: false, reason: r.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ') };
  return { ok: true, tracks: r.data.tracks };
}
