import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeThumbnail, Thumbnailer } from '../src/thumbnails.js';
import { silent } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sms-thumbs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A camera-like frame made by real ffmpeg. */
function frame(width: number, height: number): Buffer {
  const r = spawnSync(
    'ffmpeg',
    [
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=${width}x${height}`,
      '-frames:v',
      '1',
      '-q:v',
      '3',
      '-f',
      'mjpeg',
      'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

/** Width and height as ffprobe, not the library that wrote it, reads them. */
function probe(jpeg: Buffer): string {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', '-i', 'pipe:0'], {
    input: jpeg,
  });
  return r.stdout.toString().trim();
}

/** The frame's SOF0 marker rewritten to claim another size; the rest untouched. */
function claimSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

describe('makeThumbnail', () => {
  it('makes a 240 px wide JPEG from a 1080p frame file or its bytes', async () => {
    const hd = frame(1920, 1080);
    const file = path.join(dir, '0000.jpg');
    await writeFile(file, hd);
    expect(probe(await makeThumbnail(file, 240))).toBe('mjpeg,240,135');
    const fromBytes = await makeThumbnail(hd, 240);
    expect(probe(fromBytes)).toBe('mjpeg,240,135');
    expect(fromBytes.length).toBeLessThan(hd.length / 4);
  });

  it('never enlarges a frame smaller than the strip', async () => {
    expect(probe(await makeThumbnail(frame(160, 90), 240))).toBe('mjpeg,160,90');
  });

  it('refuses a broken frame, naming it', async () => {
    const file = path.join(dir, '0003.jpg');
    const whole = frame(640, 360);
    await writeFile(file, whole.subarray(0, 600));
    await expect(makeThumbnail(file, 240)).rejects.toThrow(/^no thumbnail of 0003\.jpg: .+/);
    await expect(makeThumbnail(Buffer.from('not a jpeg at all'), 240)).rejects.toThrow(/^no thumbnail of a frame: .+/);
  });

  it('refuses a frame that claims to be larger than 8K before decoding it', async () => {
    const huge = claimSize(frame(640, 360), 16_000, 16_000);
    await expect(makeThumbnail(huge, 240)).rejects.toThrow(/pixel limit/);
  });
});

describe('Thumbnailer', () => {
  function counting() {
    const calls: string[] = [];
    const thumbs = new Thumbnailer({
      dir: path.join(dir, 'cache'),
      log: silent,
      make: (source, width) => {
        calls.push(typeof source === 'string' ? path.basename(source) : 'bytes');
        return makeThumbnail(source, width);
      },
    });
    return { calls, thumbs };
  }

  it('a frame file: made once, then served from the cache', async () => {
    const { calls, thumbs } = counting();
    const file = path.join(dir, '0000.jpg');
    await writeFile(file, frame(1280, 720));
    const [a, b] = await Promise.all([thumbs.get('m1', file), thumbs.get('m1', file)]);
    expect(a.equals(b)).toBe(true);
    expect(await thumbs.get('m1', file)).toEqual(a);
    expect(calls).toEqual(['0000.jpg']);
    expect(await readdir(path.join(dir, 'cache', 'm1'))).toHaveLength(1);
  });

  it('a capture: made from the bytes beside the write, and a request for it waits for that one', async () => {
    const { calls, thumbs } = counting();
    const bytes = frame(1280, 720);
    const capture = thumbs.fromCapture(bytes);
    const file = path.join(dir, '0001.jpg');
    await writeFile(file, bytes);
    capture.stored('m1', file);
    const served = await thumbs.get('m1', file);
    expect(probe(served)).toBe('mjpeg,240,135');
    expect(calls).toEqual(['bytes']);
    // Undo and a new capture reuse the name; the new frame gets its own thumbnail.
    await new Promise((done) => setTimeout(done, 5));
    await writeFile(file, frame(640, 480));
    expect(probe(await thumbs.get('m1', file))).toBe('mjpeg,240,180');
    expect(calls).toEqual(['bytes', '0001.jpg']);
  });

  it('a capture whose thumbnail fails leaves the request to make it from the file', async () => {
    const thumbs = new Thumbnailer({
      dir: path.join(dir, 'cache'),
      log: silent,
      make: (source, width) => (typeof source === 'string' ? makeThumbnail(source, width) : Promise.reject(new Error('no memory'))),
    });
    const bytes = frame(640, 360);
    const capture = thumbs.fromCapture(bytes);
    const file = path.join(dir, '0002.jpg');
    await writeFile(file, bytes);
    capture.stored('m1', file);
    expect(probe(await thumbs.get('m1', file))).toBe('mjpeg,240,135');
  });

  it('writes nothing into the cache once stopped', async () => {
    const { thumbs } = counting();
    const bytes = frame(640, 360);
    const file = path.join(dir, '0000.jpg');
    await writeFile(file, bytes);
    const capture = thumbs.fromCapture(bytes);
    await thumbs.stop();
    capture.stored('m1', file);
    await expect(thumbs.get('m1', file)).rejects.toThrow(/stopped/);
    await new Promise((done) => setTimeout(done, 50));
    expect(await readdir(path.join(dir, 'cache')).catch(() => [])).toEqual([]);
  });
});
