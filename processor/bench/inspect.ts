// The cost of counting every scan of a frame, against the sha256 that validation
// computes of each frame anyway, and against decoding a scan bomb with ffmpeg.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@stop-motion/e2e';
import { inspectJpeg } from '../src/jpeg.js';
import { scanBombJpeg } from '../test/scanbomb.js';

const run = promisify(execFile);

function best(rounds: number, fn: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const dir = await tempDir('bench-inspect');
try {
  const photo = path.join(dir.path, 'photo.jpg');
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'mandelbrot=s=1920x1080,noise=alls=14:allf=t+u',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    photo,
  ]);
  const frame = await readFile(photo);
  const inspect = best(50, () => inspectJpeg(frame));
  const sha = best(50, () => createHash('sha256').update(frame).digest('hex'));
  console.log(
    `1080p frame (${(frame.length / 1e6).toFixed(2)} MB): inspectJpeg ${inspect.toFixed(2)} ms, sha256 ${sha.toFixed(2)} ms, ratio ${(inspect / sha).toFixed(2)}`,
  );

  const bomb = scanBombJpeg({ side: 4096, scans: 100_000 });
  const refuse = best(5, () => inspectJpeg(bomb));
  const capped = inspectJpeg(bomb, { maxScans: 1_000_000 });
  const allScans = best(5, () => inspectJpeg(bomb, { maxScans: 1_000_000 }));
  const file = path.join(dir.path, 'bomb.jpg');
  await writeFile(file, bomb);
  const t0 = performance.now();
  await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  const decode = performance.now() - t0;
  console.log(
    `scan bomb (${(bomb.length / 1e6).toFixed(1)} MB, ${capped.ok ? capped.info.scans : '?'} scans): refused in ${refuse.toFixed(2)} ms, ` +
      `all scans counted in ${allScans.toFixed(1)} ms; ffmpeg decode ${(decode / 1000).toFixed(1)} s, ratio ${(decode / refuse).toFixed(0)}`,
  );
} finally {
  await dir.remove();
}
