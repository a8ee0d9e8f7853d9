/**
 * Lighthouse 12.2.3 (mobile defaults: simulated slow 4G, a mid-range phone) with
 * Debian's Chromium on `/` and `/m/:id`, all four category scores printed.
 * Run by bench/index.ts, or alone: node --conditions=source --import tsx bench/lighthouse.ts
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CHROMIUM_PATH, startS3, tempDir } from '@stop-motion/e2e';
import { type FilmMeta, movieKeys } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';
import { loadConfig } from '../src/config.js';
import { startGallery } from '../src/index.js';
import { createLogger } from '../src/log.js';
import { makeMedia } from '../test/fixtures.js';

const run = promisify(execFile);
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;

/** The lighthouse CLI's arguments for one URL; spawned without a shell. */
export function lighthouseArgs(cli: string, url: string, outFile: string): string[] {
  const flags = ['--headless=new', '--disable-gpu', '--disable-dev-shm-usage', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
  return [
    cli,
    url,
    '--quiet',
    '--output=json',
    `--output-path=${outFile}`,
    `--only-categories=${CATEGORIES.join(',')}`,
    `--chrome-flags=${flags.join(' ')}`,
  ];
}

export async function lighthouse(): Promise<void> {
  let cli: string;
  try {
    cli = createRequire(import.meta.url).resolve('lighthouse/cli/index.js');
  } catch {
    console.log('\n## Lighthouse\n\nlighthouse is not installed; skipped.');
    return;
  }
  const s3 = await startS3();
  const dir = await tempDir('lighthouse');
  const media = await makeMedia();
  const ulid = monotonicFactory();
  try {
    const client = s3.client();
    const films: FilmMeta[] = [];
    const t0 = Date.now() - 3600_000;
    for (let i = 0; i < 30; i++) {
      const at = t0 + i * 60_000;
      const m: FilmMeta = {
        id: ulid(at),
        title: i % 3 === 0 ? `הסרט ${i}` : `Film number ${i}`,
        stationId: 'station-1',
        createdAt: new Date(at).toISOString(),
        durationSec: 3,
        fps: 10,
        frameCount: 30,
        width: 160,
        height: 120,
      };
      const keys = movieKeys(m.id);
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: keys.video, Body: media.video, ContentType: 'video/mp4' }));
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: keys.poster, Body: media.poster, ContentType: 'image/jpeg' }));
      await client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: keys.meta, Body: JSON.stringify(m), ContentType: 'application/json' }),
      );
      films.push(m);
    }
    const gallery = await startGallery({
      config: loadConfig({ ...s3.env(), LOG_LEVEL: 'silent' }),
      logger: createLogger({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
    });
    try {
      await gallery.catalog.current();
      console.log('\n## Lighthouse 12.2.3, mobile (simulated throttling), Debian Chromium\n');
      console.log(`| page | ${CATEGORIES.join(' | ')} |`);
      console.log(`|---|${CATEGORIES.map(() => '---').join('|')}|`);
      const newest = films[films.length - 1] as FilmMeta;
      for (const [name, url] of [
        ['/', `${gallery.url}/`],
        ['/m/:id', `${gallery.url}/m/${newest.id}`],
      ] as const) {
        const out = path.join(dir.path, `${name.replace(/\W+/g, '_')}.json`);
        try {
          await run(process.execPath, lighthouseArgs(cli, url, out), {
            env: { ...process.env, CHROME_PATH: CHROMIUM_PATH },
            timeout: 180_000,
            maxBuffer: 16 * 1024 * 1024,
          });
        } catch (err) {
          console.log(`| ${name} | failed: ${(err as Error).message.split('\n')[0]} |`);
          continue;
        }
        const report = JSON.parse(await readFile(out, 'utf8')) as {
          categories: Record<string, { score: number | null }>;
          audits: Record<string, { score: number | null; title: string; scoreDisplayMode: string }>;
        };
        const scores = CATEGORIES.map((c) => Math.round((report.categories[c]?.score ?? 0) * 100));
        console.log(`| \`${name}\` | ${scores.join(' | ')} |`);
        const failing = Object.entries(report.audits)
          .filter(([, a]) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual')
          .map(([id]) => id);
        if (failing.length) console.log(`|  | below 0.9: ${failing.join(', ')} |`);
      }
    } finally {
      await gallery.close();
    }
  } finally {
    await s3.close();
    await media.remove();
    await dir.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await lighthouse();
  process.exit(0);
}
