import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createPowerDisk,
  type PowerDisk,
  powerCutSupport,
  type S3Counter,
  type S3Service,
  startS3,
  startS3Counter,
  waitFor,
} from '@stop-motion/e2e';
import { movieKeys } from '@stop-motion/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { getStatus, type ProcessorChild, startProcessorChild } from './child.js';
import { writePackage } from './helpers.js';

const support = await powerCutSupport();
const TOKEN = 'review-power-cut-token-0123456';
const auth = { authorization: `Bearer ${TOKEN}` };

describe.skipIf(!support.ok)(`review queue across power cuts${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  let disk: PowerDisk | undefined;
  let s3: S3Service | undefined;
  let counter: S3Counter | undefined;
  let child: ProcessorChild | undefined;
  afterEach(async () => {
    await child?.proc.kill();
    await disk?.close();
    await counter?.close();
    await s3?.close();
  });

  it('keeps every film waiting, and every decision, through a power cut; an approved film is uploaded once', {
    timeout: 600_000,
  }, async () => {
    s3 = await startS3();
    counter = await startS3Counter({ endpoint: s3.endpoint, bucket: s3.bucket });
    disk = await createPowerDisk('review');
    const base = path.join(disk.mountPoint, 'processor');
    const dataDir = path.join(base, 'data');
    const inbox = path.join(base, 'inbox');
    const env = {
      ...s3.env(),
      S3_ENDPOINT: counter.endpoint,
      PROCESSOR_DATA_DIR: dataDir,
      PROCESSOR_INBOX: inbox,
      PLAYER: 'none',
      TITLE_SECONDS: '1',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RESCAN_SECONDS: '1',
      UPLOAD_RETRY_MAX_SECONDS: '1',
      MODERATION: 'pre',
      CONTROL_TOKEN: TOKEN,
    };
    const start = async () => {
      child = await startProcessorChild(env);
      return child;
    };
    let c = await start();
    const stateOnDisk = async (id: string) =>
      (JSON.parse(await readFile(path.join(dataDir, 'jobs', `${id}.json`), 'utf8')) as { state: string; publish: string }).state;
    const powerCut = async () => {
      await c.proc.kill();
      await disk?.cutPower();
    };
    const states = async (ids: string[]) => {
      const s = await getStatus(c.url);
      return ids.map((id) => s.jobs.find((j) => j.id === id)?.state);
    };

    const approve = (await writePackage(inbox, { frames: 6, publish: 'public', title: 'approved after a cut' })).id;
    const refuse = (await writePackage(inbox, { frames: 6, publish: 'public', title: 'taken down after a cut' })).id;
    await waitFor('both in review', async () => (await states([approve, refuse])).every((s) => s === 'review'), {
      timeoutMs: 240_000,
      intervalMs: 50,
    });
    await powerCut();
    expect([await stateOnDisk(approve), await stateOnDisk(refuse)]).toEqual(['review', 'review']);

    c = await start();
    const listed = (await (await fetch(`${c.url}/api/review`, { headers: auth })).json()) as { data: { films: Array<{ id: string }> } };
    expect(listed.data.films.map((f) => f.id).sort()).toEqual([approve, refuse].sort());
    // Answered means recorded: the power may go right after.
    expect((await fetch(`${c.url}/api/review/${approve}/approve`, { method: 'POST', headers: auth })).status).toBe(200);
    expect((await fetch(`${c.url}/api/review/${refuse}/takedown`, { method: 'POST', headers: auth })).status).toBe(200);
    await powerCut();
    expect(await stateOnDisk(approve)).toMatch(/^(uploading|done)$/);
    expect(await stateOnDisk(refuse)).toBe('done');

    c = await start();
    await waitFor('the approved film uploaded', async () => (await states([approve]))[0] === 'done', {
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    await powerCut();
    c = await start();
    const s = await getStatus(c.url);
    expect(s.jobs.find((j) => j.id === approve)).toMatchObject({ state: 'done', publish: 'public' });
    expect(s.jobs.find((j) => j.id === refuse)).toMatchObject({ state: 'done', publish: 'private' });
    const keys = movieKeys(approve);
    // Write-once: each object PUT once (a PUT cut off before its answer would be retried, answered 412).
    for (const key of [keys.video, keys.poster, keys.meta]) expect(counter.puts(key), key).toBe(1);
    // Of the refused film only its REFUSED marker leaves (sent again after each cut: the same small object).
    expect(counter.requests.filter((r) => r.method === 'PUT' && r.key.includes(refuse) && r.key !== movieKeys(refuse).refused)).toEqual([]);
    console.log(`review power cut: ${disk.cuts} cuts`);
  });
});
