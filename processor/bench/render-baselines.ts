/** The baselines the processor's render is compared with: the bare encode and the old three-step pipeline. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool } from '../src/ffmpeg.js';
import { CRF, FONT, FPS, NICE, PRESET, THREADS, TITLE_SECONDS } from './render-settings.js';

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const letterbox = (w: number, h: number) =>
  `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p`;

export async function bare(dir: string, out: string, w: number, h: number): Promise<number> {
  return timed(() =>
    runTool(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-y',
        '-loglevel',
        'error',
        '-framerate',
        String(FPS),
        '-start_number',
        '0',
        '-i',
        path.join(dir, '%04d.jpg'),
        '-vf',
        letterbox(w, h),
        '-c:v',
        'libx264',
        '-profile:v',
        'high',
        '-preset',
        PRESET,
        '-crf',
        String(CRF),
        '-pix_fmt',
        'yuv420p',
        '-threads',
        String(THREADS),
        '-movflags',
        '+faststart',
        '-an',
        out,
      ],
      { timeoutMs: 1_800_000, nice: NICE },
    ),
  );
}

export async function threeStep(dir: string, work: string, w: number, h: number): Promise<number> {
  const title = path.join(work, 'title.mp4');
  const film = path.join(work, 'frames.mp4');
  const list = path.join(work, 'list.txt');
  const text = path.join(work, 'title.txt');
  await writeFile(text, 'Stop Motion Festival');
  await writeFile(list, `file '${title}'\nfile '${film}'\n`);
  const q = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  return timed(async () => {
    await runTool(
      'ffmpeg',
      [
        ...q,
        '-f',
        'lavfi',
        '-i',
        `color=c=black:s=${w}x${h}:r=${FPS}:d=${TITLE_SECONDS}`,
        '-vf',
        `drawtext=fontfile=${FONT}:textfile=${text}:fontsize=60:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2`,
        title,
      ],
      { timeoutMs: 1_800_000, nice: NICE },
    );
    await runTool('ffmpeg', [...q, '-framerate', String(FPS), '-start_number', '0', '-i', path.join(dir, '%04d.jpg'), film], {
      timeoutMs: 1_800_000,
      nice: NICE,
    });
    await runTool('ffmpeg', [...q, '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', path.join(work, 'out.mp4')], {
      timeoutMs: 1_800_000,
      nice: NICE,
    });
  });
}
