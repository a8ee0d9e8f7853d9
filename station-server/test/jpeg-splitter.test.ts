import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { JpegSplitter } from '../src/camera/jpeg-splitter.js';
import { fakeJpeg } from './jpeg-fixtures.js';

function splitAll(chunks: Buffer[], max?: number): { frames: Buffer[]; splitter: JpegSplitter } {
  const splitter = new JpegSplitter(max);
  const frames: Buffer[] = [];
  for (const c of chunks) frames.push(...splitter.push(c));
  return { frames, splitter };
}

function chunked(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('JpegSplitter', () => {
  it('splits consecutive frames', () => {
    const a = fakeJpeg({ seed: 1 });
    const b = fakeJpeg({ seed: 2 });
    const { frames } = splitAll([Buffer.concat([a, b])]);
    expect(frames).toEqual([a, b]);
  });

  it('keeps a frame whole when its EXIF block holds a thumbnail JPEG', () => {
    const a = fakeJpeg({ seed: 3, exifThumbnail: true });
    const b = fakeJpeg({ seed: 4, exifThumbnail: true });
    const { frames } = splitAll([Buffer.concat([a, b])]);
    expect(frames.length).toBe(2);
    expect(frames[0]?.equals(a)).toBe(true);
    expect(frames[1]?.equals(b)).toBe(true);
  });

  it('finds markers split across chunk boundaries at every offset', () => {
    const a = fakeJpeg({ seed: 5, exifThumbnail: true, size: 300 });
    const b = fakeJpeg({ seed: 6, size: 300 });
    const stream = Buffer.concat([a, b]);
    for (let cut = 1; cut < stream.length; cut++) {
      const { frames } = splitAll([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(frames.length, `cut at ${cut}`).toBe(2);
      expect(frames[0]?.equals(a)).toBe(true);
      expect(frames[1]?.equals(b)).toBe(true);
    }
  });

  it('handles a stream of 1-byte chunks', () => {
    const input = [fakeJpeg({ seed: 7, exifThumbnail: true }), fakeJpeg({ seed: 8 }), fakeJpeg({ seed: 9 })];
    const { frames } = splitAll(chunked(Buffer.concat(input), 1));
    expect(frames).toEqual(input);
  });

  it('skips garbage between frames and resynchronises', () => {
    const a = fakeJpeg({ seed: 10 });
    const b = fakeJpeg({ seed: 11 });
    const garbage = Buffer.from([0x00, 0xff, 0x12, 0xff, 0xff, 0xd9, 0x42, 0xff]);
    const { frames, splitter } = splitAll(chunked(Buffer.concat([garbage, a, garbage, b, garbage]), 7));
    expect(frames).toEqual([a, b]);
    expect(splitter.stats.discardedBytes).toBeGreaterThan(0);
  });

  it('drops a truncated frame and keeps the whole one after it', () => {
    const a = fakeJpeg({ seed: 12 });
    const truncated = a.subarray(0, Math.floor(a.length / 2));
    const b = fakeJpeg({ seed: 13 });
    const c = fakeJpeg({ seed: 14 });
    const { frames, splitter } = splitAll(chunked(Buffer.concat([truncated, b, c]), 64));
    expect(frames).toEqual([b, c]);
    expect(splitter.stats.resyncs).toBeGreaterThan(0);
  });

  it('drops a frame cut inside a segment header and recovers', () => {
    const a = fakeJpeg({ seed: 15, exifThumbnail: true });
    // Cut inside the EXIF segment: its length then points past the next SOI.
    const truncated = a.subarray(0, 40);
    const b = fakeJpeg({ seed: 16 });
    const c = fakeJpeg({ seed: 17 });
    const { frames } = splitAll([Buffer.concat([truncated, b, c])]);
    expect(frames.at(-1)?.equals(c)).toBe(true);
    expect(frames.every((f) => f.equals(b) || f.equals(c))).toBe(true);
  });

  it('caps its buffer: an endless frame is dropped, the next one still comes through', () => {
    const head = fakeJpeg({ seed: 18 }).subarray(0, 200);
    const endless = Buffer.alloc(100_000, 0x11);
    const b = fakeJpeg({ seed: 19 });
    const { frames, splitter } = splitAll([head, ...chunked(endless, 4096), b], 32 * 1024);
    expect(frames).toEqual([b]);
    expect(splitter.buffered).toBeLessThan(64 * 1024);
  });

  it('splits a real ffmpeg MJPEG stream into every frame', () => {
    const run = spawnSync(
      'ffmpeg',
      [
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=320x240:r=10',
        '-frames:v',
        '12',
        '-q:v',
        '5',
        '-f',
        'mjpeg',
        'pipe:1',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    expect(run.status).toBe(0);
    const { frames } = splitAll(chunked(run.stdout, 1000));
    expect(frames.length).toBe(12);
    expect(Buffer.concat(frames).equals(run.stdout)).toBe(true);
  });
});
