// A film refused in review (MODERATION=pre) tells the gallery it will never come: the
// REFUSED marker in a real S3 (s3rver), written after the decision's durable job write,
// retried while S3 is away, and written again from the job file after a restart.
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { type S3Service, startS3, tempDir, waitFor } from '@stop-motion/e2e';
import { movieKeys, refusalSchema } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore, newJob } from '../src/jobs.js';
import { createLogger } from '../src/log.js';
import { NonePlayer } from '../src/player.js';
import { PlaylistStore } from '../src/playlist.js';
import { RefusalNotices } from '../src/refusals.js';
import { ReviewQueue } from '../src/review.js';
import { Uploader } from '../src/upload.js';

let s3: S3Service;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

async function refusalIn(id: string): Promise<unknown> {
  try {
    const got = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: movieKeys(id).refused }));
    return refusalSchema.parse(JSON.parse(await (got.Body?.transformToString() ?? '')));
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return null;
    throw err;
  }
}

const ID = (n: number) => `film-refused-${n}`;

describe('refusals in review reach the bucket', () => {
  it('make private and take down each write REFUSED; approve writes none; a failed PUT is retried; a restart sends again', async () => {
    const dir = await tempDir('refusals');
    try {
      const jobs = new JobStore(dir.path);
      await jobs.load(() => undefined);
      for (const n of [1, 2, 3]) await jobs.put({ ...newJob(ID(n)), state: 'review', publish: 'public' });
      const uploader = new Uploader(s3.client(), s3.bucket);
      let away = true;
      let tries = 0;
      const log = createLogger('silent');
      const notices = new RefusalNotices({
        jobs,
        log,
        retry: { minMs: 50, maxMs: 200 },
        // S3 away for the first attempts: the decision must not be lost.
        put: async (r) => {
          tries++;
          if (away) throw new Error('connect ECONNREFUSED');
          await uploader.putRefusal(r);
        },
      });
      const review = new ReviewQueue({
        jobs,
        player: new NonePlayer(new PlaylistStore(dir.path, 10)),
        log,
        filmsDir: dir.path,
        moderation: 'pre',
        onScreen: true,
        uploads: true,
        takeDown: async () => undefined,
        refused: (id, decision) => notices.refused(id, decision),
      });
      await review.decide(ID(1), 'private', 'test');
      await review.decide(ID(2), 'takedown', 'test');
      await review.decide(ID(3), 'approve', 'test');
      await waitFor('a few failed tries', () => tries >= 3);
      expect(notices.pending()).toBe(2);
      expect(await refusalIn(ID(1))).toBeNull();
      away = false;
      await waitFor('both refusals sent', () => notices.pending() === 0);
      expect(await refusalIn(ID(1))).toMatchObject({ id: ID(1), decision: 'private' });
      expect(await refusalIn(ID(2))).toMatchObject({ id: ID(2), decision: 'takedown' });
      expect(await refusalIn(ID(3))).toBeNull();
      await notices.stop();

      // A run that stopped before S3 answered: the next one sends from the job file.
      await s3.client().send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: movieKeys(ID(2)).refused }));
      const again = new JobStore(dir.path);
      await again.load(() => undefined);
      const restarted = new RefusalNotices({ jobs: again, log, put: (r) => uploader.putRefusal(r) });
      restarted.start();
      await waitFor('sent again after the restart', () => restarted.pending() === 0);
      expect(await refusalIn(ID(2))).toMatchObject({ id: ID(2), decision: 'takedown' });
      expect(await refusalIn(ID(3))).toBeNull();
      await restarted.stop();
    } finally {
      await dir.remove();
    }
  });
});
