import { mkdir, readdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import { DONE_FILE, MANIFEST_FILE, movieIdSchema, parseManifest, ULID_PATTERN } from '@stop-motion/protocol';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MovieStore, sha256Hex } from '../src/store/movie-store.js';
import { fakeJpeg } from './jpeg-fixtures.js';

const log = pino({ level: 'silent' });
let dir: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  dir = await tempDir('store');
});
afterEach(async () => {
  await dir.remove();
});

async function openStore(maxFrames = 300): Promise<MovieStore> {
  const store = new MovieStore({
    dataDir: dir.path,
    stationId: 'station-1',
    fps: 10,
    width: 1280,
    height: 720,
    maxFrames,
    recentLimit: 5,
    log,
  });
  await store.open();
  return store;
}

describe('movie store', () => {
  it('starts a movie with a ULID id and stores frames contiguously', async () => {
    const store = await openStore();
    expect(store.movieId).toMatch(ULID_PATTERN);
    expect(movieIdSchema.safeParse(store.movieId).success).toBe(true);
    const a = await store.addFrame(fakeJpeg({ seed: 1 }));
    const b = await store.addFrame(fakeJpeg({ seed: 2 }));
    expect([a.frame.file, b.frame.file]).toEqual(['0000.jpg', '0001.jpg']);
    expect(a.frame.hash).toBe(sha256Hex(fakeJpeg({ seed: 1 })).slice(0, 16));
    const files = await readdir(path.join(dir.path, 'current', store.movieId));
    expect(files.sort()).toEqual(['0000.jpg', '0001.jpg']);
    expect(await readFile(path.join(dir.path, 'current', store.movieId, '0001.jpg'))).toEqual(fakeJpeg({ seed: 2 }));
  });

  it('undo removes the last frame; the next capture reuses its number with a new hash', async () => {
    const store = await openStore();
    await store.addFrame(fakeJpeg({ seed: 1 }));
    const second = await store.addFrame(fakeJpeg({ seed: 2 }));
    expect(await store.undo()).toMatchObject({ removed: '0001.jpg', frameCount: 1 });
    const again = await store.addFrame(fakeJpeg({ seed: 3 }));
    expect(again.frame.file).toBe('0001.jpg');
    expect(again.frame.hash).not.toBe(second.frame.hash);
    await store.undo();
    await store.undo();
    await expect(store.undo()).rejects.toMatchObject({ code: 'no_frames' });
  });

  it('enforces MAX_FRAMES', async () => {
    const store = await openStore(2);
    await store.addFrame(fakeJpeg({ seed: 1 }));
    await store.addFrame(fakeJpeg({ seed: 2 }));
    await expect(store.addFrame(fakeJpeg({ seed: 3 }))).rejects.toMatchObject({ code: 'limit_reached' });
    expect(store.frameCount).toBe(2);
  });

  it('finish writes a valid package to the outbox, DONE included, and starts a new movie', async () => {
    const store = await openStore();
    const first = store.movieId;
    await store.addFrame(fakeJpeg({ seed: 1 }));
    await store.addFrame(fakeJpeg({ seed: 2 }));
    const out = await store.finish({ publish: 'private', title: '  סרט שלי  ', locale: 'he' });
    expect(out.movieId).toBe(first);
    expect(store.movieId).not.toBe(first);
    expect(store.frameCount).toBe(0);
    const pkg = path.join(dir.path, 'outbox', first);
    expect((await readdir(pkg)).sort()).toEqual(['0000.jpg', '0001.jpg', DONE_FILE, 'NOPUBLISH', MANIFEST_FILE]);
    const manifest = parseManifest(await readFile(path.join(pkg, MANIFEST_FILE), 'utf8'), first);
    expect(manifest.ok).toBe(true);
    if (!manifest.ok) return;
    expect(manifest.value).toMatchObject({
      id: first,
      stationId: 'station-1',
      publish: 'private',
      title: 'סרט שלי',
      locale: 'he',
      fps: 10,
      width: 1280,
      height: 720,
    });
    expect(manifest.value.ownerKeyHash).toBe(sha256Hex(out.ownerKey));
    expect(manifest.value.frames).toEqual([
      { file: '0000.jpg', sha256: sha256Hex(fakeJpeg({ seed: 1 })) },
      { file: '0001.jpg', sha256: sha256Hex(fakeJpeg({ seed: 2 })) },
    ]);
    expect(out.ownerKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(store.recent()).toEqual([
      { id: first, finishedAt: manifest.value.finishedAt, frameCount: 2, publish: 'private', posterFile: '0001.jpg' },
    ]);
    await expect(store.finish({ publish: 'public' })).rejects.toMatchObject({ code: 'no_frames' });
  });

  it('resumes the movie after a restart, from disk alone', async () => {
    const a = await openStore();
    await a.addFrame(fakeJpeg({ seed: 1 }));
    await a.addFrame(fakeJpeg({ seed: 2 }));
    const b = await openStore();
    expect(b.movieId).toBe(a.movieId);
    expect(b.frameRefs()).toEqual(a.frameRefs());
  });

  it('cleans up after interrupted writes and an interrupted finish', async () => {
    const a = await openStore();
    await a.addFrame(fakeJpeg({ seed: 1 }));
    const movie = path.join(dir.path, 'current', a.movieId);
    await writeFile(path.join(movie, '.tmp-0001.jpg.abcd'), 'half a frame');
    await writeFile(path.join(movie, MANIFEST_FILE), '{');
    await writeFile(path.join(movie, 'PUBLISH'), '');
    const b = await openStore();
    expect(b.movieId).toBe(a.movieId);
    expect(b.frameCount).toBe(1);
    expect((await readdir(movie)).sort()).toEqual(['0000.jpg']);
  });

  it('completes a finish that was cut off after DONE', async () => {
    const a = await openStore();
    await a.addFrame(fakeJpeg({ seed: 1 }));
    await a.finish({ publish: 'public' });
    // Put the package back as if the move to the outbox never happened.
    const id = a.recent()[0]?.id as string;
    await rename(path.join(dir.path, 'outbox', id), path.join(dir.path, 'current', id));
    const b = await openStore();
    expect(b.movieId).not.toBe(id);
    expect(await readdir(path.join(dir.path, 'outbox'))).toEqual([id]);
    expect(b.recent().map((r) => r.id)).toEqual([id]);
  });

  it('closes a gap in the numbering rather than lose frames', async () => {
    const a = await openStore();
    await a.addFrame(fakeJpeg({ seed: 1 }));
    await a.addFrame(fakeJpeg({ seed: 2 }));
    const movie = path.join(dir.path, 'current', a.movieId);
    await rename(path.join(movie, '0001.jpg'), path.join(movie, '0005.jpg'));
    const b = await openStore();
    expect(b.frameRefs().map((f) => f.file)).toEqual(['0000.jpg', '0001.jpg']);
  });

  it('clear throws the movie away and starts another', async () => {
    const a = await openStore();
    const old = a.movieId;
    await a.addFrame(fakeJpeg({ seed: 1 }));
    expect((await a.clear()).clearedId).toBe(old);
    expect(a.movieId).not.toBe(old);
    expect(await readdir(path.join(dir.path, 'current'))).toEqual([a.movieId]);
  });

  it('finds frames of the current movie and of recent packages, refuses path tricks', async () => {
    const a = await openStore();
    await a.addFrame(fakeJpeg({ seed: 1 }));
    const id = a.movieId;
    expect(await a.locateFrame(id, '0000.jpg')).toBe(path.join(dir.path, 'current', id, '0000.jpg'));
    await a.finish({ publish: 'public' });
    expect(await a.locateFrame(id, '0000.jpg')).toBe(path.join(dir.path, 'outbox', id, '0000.jpg'));
    await mkdir(path.join(dir.path, 'sent'), { recursive: true });
    await rename(path.join(dir.path, 'outbox', id), path.join(dir.path, 'sent', id));
    expect(await a.locateFrame(id, '0000.jpg')).toBe(path.join(dir.path, 'sent', id, '0000.jpg'));
    for (const [m, f] of [
      ['..', '0000.jpg'],
      [id, '../0000.jpg'],
      [id, 'manifest.json'],
      ['../current', '0000.jpg'],
    ]) {
      expect(await a.locateFrame(m as string, f as string)).toBeNull();
    }
  });

  it("dates a film by its first frame, not by the previous film's finish", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const evening = Date.parse('2026-06-01T19:00:00Z');
      const morning = Date.parse('2026-06-02T08:30:00Z');
      vi.setSystemTime(evening);
      const store = await openStore();
      await store.addFrame(fakeJpeg({ seed: 1 }));
      await store.finish({ publish: 'public' });
      // The next movie's id was made last night; its first frame is taken in the morning.
      vi.setSystemTime(morning);
      await store.addFrame(fakeJpeg({ seed: 2 }));
      vi.setSystemTime(morning + 60_000);
      const out = await store.finish({ publish: 'public' });
      expect(out.manifest.createdAt).toBe(new Date(morning).toISOString());
      expect(Date.parse(store.startedAt)).toBe(morning + 60_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the first frame time across a restart, and forgets it when that frame is undone', async () => {
    const store = await openStore();
    const first = await store.addFrame(fakeJpeg({ seed: 1 }));
    const taken = new Date('2026-06-02T08:30:00Z');
    await utimes(path.join(dir.path, 'current', store.movieId, first.frame.file), taken, taken);
    const resumed = await openStore();
    await resumed.addFrame(fakeJpeg({ seed: 2 }));
    expect((await resumed.finish({ publish: 'private' })).manifest.createdAt).toBe(taken.toISOString());

    const before = Date.now();
    await resumed.addFrame(fakeJpeg({ seed: 3 }));
    await resumed.undo();
    await resumed.addFrame(fakeJpeg({ seed: 4 }));
    const out = await resumed.finish({ publish: 'private' });
    expect(Date.parse(out.manifest.createdAt)).toBeGreaterThanOrEqual(before);
  });
});
