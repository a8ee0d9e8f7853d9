import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { frameFileName, type ManifestV1, type ProcessorStatus, processorStatusSchema } from '@stop-motion/protocol';
import { monotonicFactory } from 'ulid';

export const execFileP = promisify(execFile);

/** `GET /status`, held to its schema: a field the processor stops sending, or sends in another shape, fails here. */
export async function fetchStatus(url: string, init: RequestInit = {}): Promise<ProcessorStatus> {
  const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(30_000), ...init });
  if (!res.ok) throw new Error(`status answered ${res.status}`);
  return processorStatusSchema.parse(await res.json());
}
const ulid = monotonicFactory();

export function newId(): string {
  return ulid();
}

/**
 * JPEG frames 0000.jpg… made by ffmpeg. `levels`: each frame one flat grey level
 * (frame order can be read back from the video); `photo`: a zooming fractal with noise
 * and the frame number, which costs an encoder what a photograph does.
 */
export async function makeFrames(
  dir: string,
  count: number,
  opts: { width?: number; height?: number; kind?: 'levels' | 'photo'; start?: number } = {},
): Promise<string[]> {
  const width = opts.width ?? 160;
  const height = opts.height ?? 120;
  await mkdir(dir, { recursive: true });
  const start = opts.start ?? 0;
  const source =
    opts.kind === 'photo'
      ? [
          '-f',
          'lavfi',
          '-i',
          `mandelbrot=s=${width}x${height}:r=10:end_scale=0.02:maxiter=96`,
          '-vf',
          `noise=alls=14:allf=t+u,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='%{eif\\:n+${start}\\:d}':fontsize=${Math.round(height / 8)}:fontcolor=white:x=20:y=20:box=1:boxcolor=black@0.5`,
        ]
      : ['-f', 'lavfi', '-i', `color=c=gray:s=${width}x${height}:r=10`, '-vf', `geq=lum='30+mod((N+${start})*37\\,190)':cb=128:cr=128`];
  await execFileP('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    ...source,
    '-frames:v',
    String(count),
    '-q:v',
    '3',
    '-start_number',
    String(start),
    path.join(dir, '%04d.jpg'),
  ]);
  return Array.from({ length: count }, (_, i) => frameFileName(start + i));
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface PackageOptions {
  id?: string;
  frames?: number;
  width?: number;
  height?: number;
  kind?: 'levels' | 'photo';
  publish?: 'public' | 'private';
  title?: string;
  layout?: 'v1' | 'original';
  fps?: number;
  stationId?: string;
  ownerKeyHash?: string;
  /** Changes the package before DONE is written. */
  tamper?: (dir: string, manifest: ManifestV1 | null) => unknown;
  /** Leave out DONE (a delivery still arriving). */
  noDone?: boolean;
}

/** Builds a package the way a station delivers it: frames, manifest, flag, then DONE last. */
export async function writePackage(
  parent: string,
  o: PackageOptions = {},
): Promise<{ id: string; dir: string; manifest: ManifestV1 | null }> {
  const id = o.id ?? newId();
  // Built beside the inbox and moved in whole, as rsync --delay-updates does.
  const staging = path.join(path.dirname(parent), `.staging-${id}`);
  await mkdir(staging, { recursive: true });
  const count = o.frames ?? 5;
  const width = o.width ?? 160;
  const height = o.height ?? 120;
  const names = count > 0 ? await makeFrames(staging, count, { width, height, kind: o.kind ?? 'levels' }) : [];
  const publish = o.publish ?? 'private';
  await writeFile(path.join(staging, publish === 'public' ? 'PUBLISH' : 'NOPUBLISH'), '');
  let manifest: ManifestV1 | null = null;
  if ((o.layout ?? 'v1') === 'v1') {
    const now = new Date().toISOString();
    manifest = {
      format: 'stop-motion-package',
      version: 1,
      id,
      stationId: o.stationId ?? 'station-1',
      createdAt: now,
      finishedAt: now,
      fps: o.fps ?? 10,
      width,
      height,
      publish,
      ...(o.title !== undefined ? { title: o.title } : {}),
      ...(o.ownerKeyHash ? { ownerKeyHash: o.ownerKeyHash } : {}),
      frames: await Promise.all(names.map(async (file) => ({ file, sha256: sha256(await readFile(path.join(staging, file))) }))),
    };
  }
  if (o.tamper) {
    // A tamper function may return a changed manifest, null for none, or nothing to keep it.
    const changed = (await o.tamper(staging, manifest)) as ManifestV1 | null | undefined;
    if (changed !== undefined) manifest = changed;
  }
  if (manifest) await writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const dir = path.join(parent, id);
  await rename(staging, dir);
  if (!o.noDone) await writeFile(path.join(dir, 'DONE'), '');
  return { id, dir, manifest };
}

export interface ProbeInfo {
  codec: string;
  profile: string;
  pixFmt: string;
  width: number;
  height: number;
  durationSec: number;
  frames: number;
}

/** Each video frame's presentation time in seconds, in display order (ffprobe). */
export async function frameTimes(file: string): Promise<number[]> {
  const { stdout } = await execFileP('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=pts_time',
    '-of',
    'csv=p=0',
    file,
  ]);
  return stdout
    .split('\n')
    .map((l) => l.split(',')[0]?.trim() ?? '')
    .filter((l) => l !== '')
    .map(Number)
    .sort((a, b) => a - b);
}

export async function probeVideo(file: string): Promise<ProbeInfo> {
  const { stdout } = await execFileP('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_frames',
    '-show_entries',
    'stream=codec_name,profile,pix_fmt,width,height,nb_read_frames:format=duration',
    '-of',
    'json',
    file,
  ]);
  const j = JSON.parse(stdout) as {
    streams: Array<{ codec_name: string; profile: string; pix_fmt: string; width: number; height: number; nb_read_frames: string }>;
    format: { duration: string };
  };
  const s = j.streams[0];
  if (!s) throw new Error(`no video stream in ${file}`);
  return {
    codec: s.codec_name,
    profile: s.profile,
    pixFmt: s.pix_fmt,
    width: s.width,
    height: s.height,
    durationSec: Number(j.format.duration),
    frames: Number(s.nb_read_frames),
  };
}

/** Top-level MP4 boxes in order (to check that `moov` comes before `mdat`). */
export async function topLevelBoxes(file: string): Promise<string[]> {
  const buf = await readFile(file);
  const boxes: string[] = [];
  let pos = 0;
  while (pos + 8 <= buf.length) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(pos + 8));
    if (size === 0) size = buf.length - pos;
    boxes.push(type);
    if (size < 8) break;
    pos += size;
  }
  return boxes;
}

/** Mean luma of every frame of a video (decoded, scaled down by area averaging). */
export async function frameLevels(file: string): Promise<number[]> {
  const { stdout } = await execFileP(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-vf', 'scale=8:8:flags=area', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const out: number[] = [];
  for (let i = 0; i + 64 <= stdout.length; i += 64) {
    let sum = 0;
    for (let k = 0; k < 64; k++) sum += stdout[i + k] ?? 0;
    out.push(sum / 64);
  }
  return out;
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
