import { mkdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { tempDir, waitFor } from '@stop-motion/e2e';
import { frameFileName, type ManifestV1 } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { execFileP, fetchStatus, listDir, type PackageOptions, probeVideo, sha256, writePackage } from './helpers.js';

type Expect = { film: true; frames: number; dropped?: RegExp; size?: [number, number]; title?: string } | { film: false; reason: RegExp };

async function resign(dir: string, manifest: ManifestV1 | null, file: string): Promise<void> {
  if (!manifest) return;
  const entry = manifest.frames.find((f) => f.file === file);
  if (entry) entry.sha256 = sha256(await readFile(path.join(dir, file)));
}

/** An EXIF APP1 segment saying "rotate 90° clockwise to view" (orientation 6). */
function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const app1 = Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

/** Overwrites the first Huffman table with 0xFF: the JPEG structure stays intact, decoding fails. */
async function breakHuffmanTable(file: string): Promise<void> {
  const data = await readFile(file);
  const at = data.indexOf(Buffer.from([0xff, 0xc4]));
  if (at < 0) throw new Error('no DHT segment');
  data.fill(0xff, at + 5, at + 21);
  await writeFile(file, data);
}

const W = 96;
const H = 72;

const cases: Array<[string, PackageOptions, Expect]> = [
  [
    'zero-byte frame',
    {
      tamper: async (dir, m) => {
        await writeFile(path.join(dir, '0001.jpg'), '');
        await resign(dir, m, '0001.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0001\.jpg: empty file/ },
  ],
  [
    'truncated JPEG',
    {
      tamper: async (dir, m) => {
        const f = path.join(dir, '0002.jpg');
        const size = (await readFile(f)).length;
        await truncate(f, Math.floor(size / 2));
        await resign(dir, m, '0002.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0002\.jpg: truncated JPEG/ },
  ],
  [
    'PNG named .jpg',
    {
      tamper: async (dir, m) => {
        await execFileP('ffmpeg', [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          `color=c=red:s=${W}x${H}`,
          '-frames:v',
          '1',
          '-f',
          'image2',
          '-c:v',
          'png',
          path.join(dir, '0000.jpg'),
        ]);
        await resign(dir, m, '0000.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0000\.jpg: not a JPEG \(PNG data\)/ },
  ],
  [
    'CMYK JPEG',
    {
      tamper: async (dir, m) => {
        const f = path.join(dir, '0003.jpg');
        await execFileP('convert', [f, '-colorspace', 'CMYK', f]);
        await resign(dir, m, '0003.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0003\.jpg: CMYK JPEG/ },
  ],
  [
    'a frame whose Huffman table is broken (passes the header check, does not decode)',
    {
      tamper: async (dir, m) => {
        await breakHuffmanTable(path.join(dir, '0002.jpg'));
        await resign(dir, m, '0002.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0002\.jpg: does not decode/ },
  ],
  [
    'the first frame does not decode',
    {
      tamper: async (dir, m) => {
        await breakHuffmanTable(path.join(dir, '0000.jpg'));
        await resign(dir, m, '0000.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0000\.jpg: does not decode/ },
  ],
  [
    'progressive JPEG',
    {
      tamper: async (dir, m) => {
        for (let i = 0; i < 4; i++) {
          const f = path.join(dir, frameFileName(i));
          await execFileP('convert', [f, '-interlace', 'Plane', f]);
          await resign(dir, m, frameFileName(i));
        }
      },
    },
    { film: true, frames: 4 },
  ],
  [
    'EXIF-rotated JPEG (original layout: the film comes out portrait)',
    {
      layout: 'original',
      tamper: async (dir) => {
        for (let i = 0; i < 4; i++) {
          const f = path.join(dir, frameFileName(i));
          await writeFile(f, withExifOrientation(await readFile(f), 6));
        }
      },
    },
    { film: true, frames: 4, size: [H, W] },
  ],
  [
    '8000×8000 frame',
    {
      tamper: async (dir, m) => {
        await execFileP('ffmpeg', [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          'color=c=blue:s=8000x8000',
          '-frames:v',
          '1',
          '-q:v',
          '31',
          path.join(dir, '0001.jpg'),
        ]);
        await resign(dir, m, '0001.jpg');
      },
    },
    { film: true, frames: 3, dropped: /0001\.jpg: 8000×8000 is larger than the frame limit/ },
  ],
  ['odd dimensions', { width: 97, height: 73 }, { film: true, frames: 4, size: [96, 72] }],
  [
    '100,000 frames claimed in a small manifest',
    {
      tamper: (_dir, m) => {
        if (!m) return m;
        m.frames = Array.from({ length: 100_000 }, (_, i) => ({ file: frameFileName(i), sha256: 'a'.repeat(64) }));
        return { ...m, frames: m.frames.slice(0, 20_000) };
      },
    },
    { film: false, reason: /frames: Too big|more than/ },
  ],
  [
    'mixed sizes (letterboxed to the stated size)',
    {
      tamper: async (dir, m) => {
        await execFileP('ffmpeg', [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=s=72x128',
          '-frames:v',
          '1',
          path.join(dir, '0002.jpg'),
        ]);
        await resign(dir, m, '0002.jpg');
      },
    },
    { film: true, frames: 4, size: [W, H] },
  ],
  [
    'a gap in numbering (original layout)',
    { layout: 'original', tamper: (dir) => rm(path.join(dir, '0001.jpg')).then(() => undefined) },
    { film: true, frames: 3 },
  ],
  ['no frames', { layout: 'original', frames: 0 }, { film: false, reason: /no frames/ }],
  [
    'malformed JSON',
    {
      tamper: async (dir) => {
        await writeFile(path.join(dir, 'manifest.json'), '{"format": "stop-motion-package", ');
        return null;
      },
    },
    { film: false, reason: /not valid JSON/ },
  ],
  [
    'manifest and flag disagree',
    {
      publish: 'public',
      tamper: async (dir) => {
        await rm(path.join(dir, 'PUBLISH'));
        await writeFile(path.join(dir, 'NOPUBLISH'), '');
      },
    },
    { film: false, reason: /manifest says "public" but the flag file is NOPUBLISH/ },
  ],
  [
    'checksum mismatch',
    {
      tamper: async (dir) => {
        const f = path.join(dir, '0001.jpg');
        const data = await readFile(f);
        data[data.length - 10] = (data[data.length - 10] ?? 0) ^ 0xff;
        await writeFile(f, data);
      },
    },
    { film: true, frames: 3, dropped: /0001\.jpg: checksum mismatch/ },
  ],
  [
    '../ path in the manifest',
    {
      tamper: (_dir, m) => {
        if (m?.frames[0]) m.frames[0].file = '../../etc/passwd';
        return m;
      },
    },
    { film: false, reason: /frame file must be like 0000\.jpg/ },
  ],
  [
    'absolute path in the manifest',
    {
      tamper: (_dir, m) => {
        if (m?.frames[0]) m.frames[0].file = '/etc/passwd';
        return m;
      },
    },
    { film: false, reason: /frame file must be like 0000\.jpg/ },
  ],
  [
    'a symlink to /etc/passwd as a frame',
    {
      tamper: async (dir) => {
        await rm(path.join(dir, '0002.jpg'));
        await symlink('/etc/passwd', path.join(dir, '0002.jpg'));
      },
    },
    { film: true, frames: 3, dropped: /0002\.jpg: is a symbolic link/ },
  ],
  [
    '100,000 frames claimed',
    {
      tamper: (_dir, m) => {
        if (!m) return m;
        const first = m.frames[0];
        m.frames = Array.from({ length: 100_000 }, (_, i) => ({ file: frameFileName(i), sha256: first?.sha256 ?? '0'.repeat(64) }));
        return m;
      },
    },
    { film: false, reason: /manifest\.json is too large/ },
  ],
  [
    'a title with HTML, quotes, colons, backslashes, RTL text and emoji',
    { title: `<script>alert("x")</script> it's: a\\b %{pts} שלום مرحبا 🎬` },
    { film: true, frames: 4, title: `<script>alert("x")</script> it's: a\\b %{pts} שלום مرحبا 🎬` },
  ],
  [
    'every frame bad',
    {
      tamper: async (dir, m) => {
        for (let i = 0; i < 4; i++) {
          await writeFile(path.join(dir, frameFileName(i)), 'not a picture');
          await resign(dir, m, frameFileName(i));
        }
      },
    },
    { film: false, reason: /no usable frames \(4 dropped; e\.g\. 0000\.jpg: not a JPEG/ },
  ],
];

describe('bad input', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];
  const ids = new Map<string, string>();

  beforeAll(async () => {
    dir = await tempDir('proc-bad');
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    p = await startProcessor(config, { logger: pino({ level: 'info' }, sink) });
    for (const [name, opts] of cases) {
      const { id } = await writePackage(p.config.inboxDir, { frames: 4, width: W, height: H, ...opts });
      ids.set(name, id);
    }
    // Not a valid id, and a package directory that is a symlink.
    await mkdir(path.join(p.config.inboxDir, 'bad name!'));
    await writeFile(path.join(p.config.inboxDir, 'bad name!', 'DONE'), '');
    await symlink('/etc', path.join(p.config.inboxDir, '01ARZ3NDEKTSV4RRFFQ69G5FAV'));
    p.pipeline.queueScan();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = await p.pipeline.status();
      const jobs = s.jobs as Array<{ id: string; state: string }>;
      const settled = jobs.filter((j) => ['done', 'quarantined', 'failed'].includes(j.state));
      if (settled.length === cases.length) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(jobs.filter((j) => !settled.includes(j)))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 180_000);

  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it.each(cases)('%s', async (name, _opts, expected) => {
    const id = ids.get(name) ?? '';
    const job = p.pipeline.job(id);
    expect(job, name).toBeDefined();
    if (!job) return;
    if (expected.film) {
      expect(job.state, `${name}: ${job.reason}`).toBe('done');
      expect(job.frameCount).toBe(expected.frames);
      const info = await probeVideo(path.join(p.config.dataDir, 'films', id, 'movie.mp4'));
      expect(info.profile).toBe('High');
      expect((info.width % 2) + (info.height % 2)).toBe(0);
      if (expected.size) expect([info.width, info.height]).toEqual(expected.size);
      if (expected.dropped) {
        const dropped = job.dropped.map((d) => `${d.file}: ${d.reason}`).join('\n');
        expect(dropped).toMatch(expected.dropped);
        // …and the reason is in the log.
        const logged = logs.filter((l) => l.event === 'frame.dropped' && l.id === id).map((l) => `${l.file}: ${l.reason}`);
        expect(logged.join('\n')).toMatch(expected.dropped);
      } else {
        expect(job.dropped).toEqual([]);
      }
      if (expected.title) expect(job.title).toBe(expected.title);
    } else {
      expect(job.state).toBe('quarantined');
      expect(job.reason).toMatch(expected.reason);
      const reasonFile = await readFile(path.join(p.config.dataDir, 'quarantine', id, 'REASON'), 'utf8');
      expect(reasonFile).toMatch(expected.reason);
      await waitFor('the quarantine logged', () => logs.some((l) => l.event === 'package.quarantined' && l.id === id));
    }
  });

  it('quarantines a directory whose name is not an id, ignores a symlinked one, and stays healthy', async () => {
    const quarantined = await listDir(path.join(p.config.dataDir, 'quarantine'));
    const stray = quarantined.find((n) => n.startsWith('invalid-bad_name_'));
    expect(stray).toBeDefined();
    expect(await readFile(path.join(p.config.dataDir, 'quarantine', stray ?? '', 'REASON'), 'utf8')).toMatch(/not a valid movie id/);
    expect(logs.some((l) => l.event === 'ingest.not_a_directory')).toBe(true);
    const health = await fetch(`${p.url}/healthz`);
    expect(health.status).toBe(200);
    const status = await fetchStatus(p.url);
    expect(status.quarantine.length).toBeGreaterThanOrEqual(cases.filter(([, , e]) => !e.film).length + 1);
  });
});
