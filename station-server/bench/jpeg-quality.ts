/**
 * Frame size and quality on each camera's CAMERA_QUALITY scale (printed, not asserted).
 * Two test scenes at 1280×720 are rendered losslessly by ffmpeg, then encoded
 *   - on libjpeg's 1–100 scale (what rpicam-vid's -q means: it calls jpeg_set_quality),
 *     with jpeg-js, which scales the standard tables by the same IJG formula (4:4:4, so
 *     its frames are larger than rpicam-vid's 4:2:0 ones at the same quality);
 *   - on ffmpeg's MJPEG -q:v 2–31 scale, as the test/replay/YUYV-webcam encoders do;
 * and each JPEG is compared with the lossless frame by ffmpeg's ssim filter.
 * Run: npm run bench:quality -w @stop-motion/station-server
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@stop-motion/e2e';
import jpeg from 'jpeg-js';

const run = promisify(execFile);
const W = 1280;
const H = 720;

const scenes: Record<string, string> = {
  testsrc2: `testsrc2=s=${W}x${H}:d=1`,
  // Smooth colour gradients with a little luma grain, like a sensor's: closer to a photo of a set than testsrc2.
  'photo-like': `gradients=s=${W}x${H}:c0=0x8a6a4a:c1=0x4a7a3a:c2=0xd83a2e:c3=0xe8e0d0:n=4:seed=7:d=1,format=yuv444p,noise=c0s=3:c0f=u`,
};

async function ssim(reference: string, file: string): Promise<number> {
  const { stderr } = await run(
    'ffmpeg',
    [
      '-nostdin',
      '-hide_banner',
      '-i',
      file,
      '-i',
      reference,
      '-lavfi',
      '[0]format=yuv444p[a];[1]format=yuv444p[b];[a][b]ssim',
      '-f',
      'null',
      '-',
    ],
    { timeout: 60_000, maxBuffer: 1 << 24 },
  );
  // Luma SSIM: chroma is subsampled differently by the two encoders (see the README).
  const m = /SSIM Y:([0-9.]+)/.exec(stderr);
  if (!m) throw new Error(`no ssim in ffmpeg output: ${stderr.slice(-300)}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const dir = await tempDir('jpeg-quality');
  try {
    const rows: string[] = ['| scene | scale | setting | bytes per frame | SSIM (Y) vs lossless |', '|---|---|---|---|---|'];
    for (const [name, source] of Object.entries(scenes)) {
      const png = path.join(dir.path, `${name}.png`);
      await run('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-y', png], { timeout: 60_000 });
      const { stdout: rgba } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], {
        encoding: 'buffer',
        timeout: 60_000,
        maxBuffer: W * H * 4 + 1024,
      });
      for (const q of [6, 50, 80, 93]) {
        const out = path.join(dir.path, `${name}-ijg${q}.jpg`);
        const encoded = jpeg.encode({ data: rgba, width: W, height: H }, q);
        await writeFile(out, encoded.data);
        const note =
          q === 6 ? ' (the old bug: 6 of 100)' : q === 50 ? " (rpicam-vid's own default)" : q === 93 ? ' (rpicam default here)' : '';
        rows.push(`| ${name} | rpicam -q (libjpeg 1–100) | ${q}${note} | ${encoded.data.length} | ${(await ssim(png, out)).toFixed(4)} |`);
      }
      for (const q of [2, 3, 6, 31]) {
        const out = path.join(dir.path, `${name}-ff${q}.jpg`);
        await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', png, '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', String(q), '-y', out], {
          timeout: 60_000,
        });
        const { size } = await import('node:fs/promises').then((fs) => fs.stat(out));
        const note = q === 3 ? ' (USB webcam default)' : q === 6 ? ' (test/replay default)' : '';
        rows.push(`| ${name} | ffmpeg -q:v (2–31) | ${q}${note} | ${size} | ${(await ssim(png, out)).toFixed(4)} |`);
      }
    }
    console.log(rows.join('\n'));
  } finally {
    await dir.remove();
  }
}

await main();
