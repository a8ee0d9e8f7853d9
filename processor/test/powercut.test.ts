import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createPowerDisk, type PowerDisk, powerCutSupport, type S3Service, startS3, waitFor } from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { getStatus, type ProcessorChild, startProcessorChild } from './child.js';
import { writePackage } from './helpers.js';

const support = await powerCutSupport();

interface Delivered {
  id: string;
  publish: 'public' | 'private';
}

describe.skipIf(!support.ok)(`processor power cut${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  let disk: PowerDisk | undefined;
  let s3: S3Service | undefined;
  let child: ProcessorChild | undefined;
  afterEach(async () => {
    await child?.proc.kill();
    await disk?.close();
    await s3?.close();
  });

  it('after each power cut no finished job is redone, no received package is lost, the playlist keeps every film', {
    timeout: 600_000,
  }, async () => {
    s3 = await startS3();
    disk = await createPowerDisk('processor');
    const base = path.join(disk.mountPoint, 'processor');
    const dataDir = path.join(base, 'data');
    const inbox = path.join(base, 'inbox');
    const env = {
      ...s3.env(),
      PROCESSOR_DATA_DIR: dataDir,
      PROCESSOR_INBOX: inbox,
      PLAYER: 'none',
      TITLE_SECONDS: '1',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RESCAN_SECONDS: '1',
      UPLOAD_RETRY_MAX_SECONDS: '1',
    };
    const start = async () => {
      child = await startProcessorChild(env);
      return child;
    };
    let c = await start();

    const deliver = async (publish: Delivered['publish'], title: string): Promise<Delivered> => {
      // Written the way rsync --delay-updates delivers: no fsync, DONE last.
      const { id } = await writePackage(inbox, { frames: 6, publish, title });
      return { id, publish };
    };
    const logged = (msg: string, id: string) => c.logs.filter((l) => l.event === msg && l.id === id).length;
    const waitDone = (films: readonly Delivered[]) => {
      let bad: string | undefined;
      return waitFor(
        `${films.length} film(s) done`,
        async () => {
          const s = await getStatus(c.url);
          const lost = s.jobs.find((j) => films.some((f) => f.id === j.id) && (j.state === 'failed' || j.state === 'quarantined'));
          if (lost) bad = `job ${lost.id} ${lost.state}: ${JSON.stringify(lost)}`;
          return films.every((f) => s.jobs.find((j) => j.id === f.id)?.state === 'done') && s;
        },
        {
          timeoutMs: 240_000,
          intervalMs: 20,
          failIf: () => bad ?? (c.proc.running() ? undefined : `processor exited: ${c.proc.output()}`),
        },
      );
    };

    /** SIGKILL, power gone with it; returns what the disk kept, before a new processor touches it. */
    const powerCut = async () => {
      await c.proc.kill();
      await disk?.cutPower();
      const jobs = new Map<string, string>();
      for (const name of await readdir(path.join(dataDir, 'jobs')).catch(() => [])) {
        if (!name.endsWith('.json')) continue;
        const text = await readFile(path.join(dataDir, 'jobs', name), 'utf8');
        try {
          jobs.set(name.slice(0, -5), (JSON.parse(text) as { state: string }).state);
        } catch {
          jobs.set(name.slice(0, -5), `unreadable: ${JSON.stringify(text.slice(0, 40))}`);
        }
      }
      const playlistText = await readFile(path.join(dataDir, 'playlist.json'), 'utf8').catch((err: Error) => err.message);
      let playlist: string[] | string;
      try {
        playlist = (JSON.parse(playlistText) as { films: Array<{ id: string }> }).films.map((f) => f.id);
      } catch {
        playlist = `unreadable: ${JSON.stringify(playlistText.slice(0, 60))}`;
      }
      return { jobs, playlist };
    };

    /** Finished means: recorded done, listed on the big screen, a whole film on disk, and (public) in S3. */
    const expectFinished = async (films: readonly Delivered[], kept: Awaited<ReturnType<typeof powerCut>>, why: string) => {
      for (const f of films) {
        expect(kept.jobs.get(f.id), `${why}: job ${f.id} on disk`).toBe('done');
        expect(kept.playlist, `${why}: playlist on disk`).toContain(f.id);
        const movie = path.join(dataDir, 'films', f.id, 'movie.mp4');
        const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', movie, '-f', 'null', '-']);
        expect(r.status, `${why}: ${f.id} movie.mp4: ${r.stderr.toString()}`).toBe(0);
        expect(r.stderr.toString(), `${why}: ${f.id} movie.mp4 decodes cleanly`).toBe('');
        const poster = await readFile(path.join(dataDir, 'films', f.id, 'poster.jpg'));
        expect(poster.subarray(-2).toString('hex'), `${why}: ${f.id} poster.jpg is complete`).toBe('ffd9');
        if (f.publish === 'public') {
          await s3?.client().send(new HeadObjectCommand({ Bucket: s3.bucket, Key: movieKeys(f.id).meta }));
        }
      }
    };

    // 1. Two films finish; the power goes as soon as the status says so.
    const first = [await deliver('public', 'Power cut one'), await deliver('private', 'Power cut two')];
    await waitDone(first);
    let kept = await powerCut();
    await expectFinished(first, kept, 'after the first films were done');

    // 2. Two packages are taken from the inbox (one may be rendering); the power goes.
    c = await start();
    const second = [await deliver('public', 'Power cut three'), await deliver('private', 'Power cut four')];
    await waitFor('both packages received', () => second.every((f) => logged('package.received', f.id) === 1), {
      timeoutMs: 60_000,
      intervalMs: 5,
    });
    kept = await powerCut();
    for (const f of second) {
      // Received is durable: the job file or, just before it, the package in work/ (recovered on start).
      const inWork = await readdir(path.join(dataDir, 'work', f.id, 'package')).catch(() => [] as string[]);
      expect(kept.jobs.has(f.id) || inWork.includes('DONE'), `package ${f.id} kept after the cut`).toBe(true);
      if (kept.jobs.has(f.id))
        expect(kept.jobs.get(f.id), `job ${f.id} after the cut`).toMatch(/^(received|rendering|rendered|uploading|done)$/);
    }

    // 3. A new processor finishes them from the kept packages and does nothing twice.
    c = await start();
    await waitDone([...first, ...second]);
    for (const f of first) {
      expect(logged('render.started', f.id), `${f.id} rendered again`).toBe(0);
      expect(logged('upload.started', f.id), `${f.id} uploaded again`).toBe(0);
    }
    for (const f of second) {
      // Rendered once: here, unless its render was already recorded before the cut.
      const before = kept.jobs.get(f.id);
      const expected = before === undefined || before === 'received' || before === 'rendering' ? 1 : 0;
      expect(logged('render.started', f.id), `${f.id} renders (state at the cut: ${before})`).toBe(expected);
    }
    expect(
      c.logs.filter((l) => l.event === 'job.unreadable' || l.event === 'frame.dropped'),
      'unreadable jobs or dropped frames',
    ).toEqual([]);
    kept = await powerCut();
    await expectFinished([...first, ...second], kept, 'after the received packages were done');

    // 4. And the processor on that disk lists all four on the big screen.
    c = await start();
    const status = await getStatus(c.url);
    expect(status.playlist).toEqual(expect.arrayContaining([...first, ...second].map((f) => f.id)));
    console.log(`processor power cut: ${disk.cuts} cuts, ${first.length + second.length} films`);
  });
});
