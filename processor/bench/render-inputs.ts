/** The render benchmark's inputs: photo-like frames, packages delivered to the inbox, a soundtrack. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { frameFileName } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';
import { FONT, FPS } from './render-settings.js';

const execFileP = promisify(execFile);
const ulid = monotonicFactory();

/** Photo-like frames (a zooming fractal with sensor-like noise and a stamped number), cached between runs. */
export async function frames(count: number, width: number, height: number): Promise<string> {
  const dir = path.join(os.tmpdir(), `sms-bench-frames-${width}x${height}-${count}`);
  if (existsSync(path.join(dir, frameFileName(count - 1)))) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  process.stdout.write(`  making ${count} frames at ${width}×${height}…\n`);
  await execFileP('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `mandelbrot=s=${width}x${height}:r=${FPS}:end_scale=0.02:maxiter=96`,
    '-vf',
    `noise=alls=8:allf=t+u,drawtext=fontfile=${FONT}:text='%{n}':fontsize=${Math.round(height / 10)}:fontcolor=white:x=30:y=30`,
    '-frames:v',
    String(count),
    '-q:v',
    '3',
    '-start_number',
    '0',
    path.join(dir, '%04d.jpg'),
  ]);
  return dir;
}

export async function deliver(
  inbox: string,
  source: string,
  count: number,
  w: number,
  h: number,
  soundtrack?: string,
): Promise<{ id: string; doneAt: number }> {
  const id = ulid();
  const staging = path.join(path.dirname(inbox), `.bench-${id}`);
  await cp(source, staging, { recursive: true });
  const names = Array.from({ length: count }, (_, i) => frameFileName(i));
  const now = new Date().toISOString();
  const manifest = {
    format: 'stop-motion-package',
    version: 1,
    id,
    stationId: 'bench',
    createdAt: now,
    finishedAt: now,
    fps: FPS,
    width: w,
    height: h,
    publish: 'public',
    title: 'Benchmark · בדיקה · اختبار',
    ...(soundtrack ? { soundtrack } : {}),
    frames: await Promise.all(
      names.map(async (file) => ({
        file,
        sha256: createHash('sha256')
          .update(await readFile(path.join(staging, file)))
          .digest('hex'),
      })),
    ),
  };
  await writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(path.join(staging, 'PUBLISH'), '');
  await rename(staging, path.join(inbox, id));
  const doneAt = performance.now();
  await writeFile(path.join(inbox, id, 'DONE'), '');
  return { id, doneAt };
}

/** A 40 s music-like track (chords over a beat and noise) in a tracks folder, as the event's tracks.json names it. */
export async function makeTracks(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await execFileP('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=262:sample_rate=44100:duration=40'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=44100:duration=40'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=392:sample_rate=44100:duration=40'],
    ...['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.1:sample_rate=44100:duration=40'],
    '-filter_complex',
    '[0:a][1:a][2:a][3:a]amix=inputs=4,tremolo=f=2:d=0.6,volume=0.5,aformat=channel_layouts=stereo',
    ...['-c:a', 'libvorbis', '-q:a', '4', path.join(dir, 'bench.ogg')],
  ]);
  const tracks = {
    version: 1,
    tracks: [{ id: 'bench', mood: 'happy', title: 'Bench', author: 'Stop Motion Stations', licence: 'CC0-1.0', file: 'bench.ogg' }],
  };
  await writeFile(path.join(dir, 'tracks.json'), JSON.stringify(tracks));
}
