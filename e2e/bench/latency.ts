// End-to-end latency: for a 100-frame film, the time from "finish" at a station to
// the film queued on the big screen and playable on the gallery, split into delivery,
// render, upload and gallery visibility. Median of several runs; printed, not asserted.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DONE_FILE, movieKeys } from '@stop-motion/protocol';
import { capture, finish, galleryMovie, processorStatus } from '../src/drive.js';
import { startFestival } from '../src/festival.js';
import { waitFor } from '../src/harness/process.js';
import { tempDir } from '../src/harness/tmp.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FRAMES = Number(process.env.BENCH_FRAMES ?? 100);

const dir = await tempDir('latency');
const festival = await startFestival({
  dataDir: dir.path,
  stations: 1,
  player: 'mpv',
  mpvArgs: ['--vo=null', '--ao=null'],
  redis: 'on',
  logLevel: 'warn',
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

type Marks = { delivered: number; rendered: number; queued: number; uploaded: number; visible: number };
const runs: Marks[] = [];
try {
  const station = festival.stations[0];
  if (!station) throw new Error('no station');
  for (let run = 0; run < RUNS; run++) {
    for (let i = 0; i < FRAMES; i++) await capture(station);
    const t0 = performance.now();
    const id = await finish(station, 'public', `Latency run ${run + 1}`);
    const marks: Partial<Marks> = {};
    const since = () => performance.now() - t0;
    const s3 = festival.s3.client();
    await waitFor(
      'the film on the gallery',
      async () => {
        if (marks.delivered === undefined && existsSync(path.join(festival.inbox, id, DONE_FILE))) marks.delivered = since();
        const status = await processorStatus(festival.processor);
        const job = status.jobs.find((j) => j.id === id);
        if (marks.delivered === undefined && job) marks.delivered = since();
        if (marks.rendered === undefined && job && ['rendered', 'uploading', 'done'].includes(job.state)) marks.rendered = since();
        if (marks.queued === undefined && status.playlist.includes(id)) marks.queued = since();
        if (marks.uploaded === undefined) {
          const head = await s3.send(new HeadObjectCommand({ Bucket: festival.s3.bucket, Key: movieKeys(id).meta })).catch(() => null);
          if (head) marks.uploaded = since();
        }
        if (marks.visible === undefined && (await galleryMovie(festival.gallery, id))) marks.visible = since();
        return marks.queued !== undefined && marks.visible !== undefined ? true : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 25 },
    );
    runs.push(marks as Marks);
    console.log(`run ${run + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, Math.round(v)])))}`);
  }
} finally {
  await festival.stop();
  await dir.remove();
}

const m = (k: keyof Marks) => median(runs.map((r) => r[k]));
const rows: Array<[string, number]> = [
  ['finish → delivered (rsync to the inbox)', m('delivered')],
  ['delivered → rendered', m('rendered') - m('delivered')],
  ['rendered → uploaded (meta.json in S3)', m('uploaded') - m('rendered')],
  ['uploaded → visible on the gallery', m('visible') - m('uploaded')],
  ['finish → queued on the big screen', m('queued')],
  ['finish → playable on the gallery', m('visible')],
];
console.log(`\nEnd-to-end latency, ${FRAMES}-frame film, median of ${runs.length} runs`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(44)} ${(v / 1000).toFixed(2).padStart(7)} s`);
