import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { tempDir } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { AUTO_CANDIDATES, forgetEncoderProbe, resolveEncoder, testEncoder } from '../src/encoder.js';
import { type Processor, startProcessor } from '../src/index.js';
import { probeVideo, writePackage } from './helpers.js';

// This machine has ffmpeg with h264_vaapi and h264_v4l2m2m compiled in but no device behind
// either (no /dev/dri, no V4L2 encoder), so every hardware path below fails for real.
const hardwareHere = existsSync('/dev/dri') || ['/dev/video10', '/dev/video11'].some(existsSync);

function collect(logs: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
}

/** libx264 signs its stream with an SEI text ("x264 - core …"); hardware encoders do not. */
async function madeByX264(file: string): Promise<boolean> {
  return (await readFile(file)).includes('x264 - core');
}

describe('encoder choice', () => {
  it('auto probes each hardware encoder for real and falls back to libx264 with the reasons', async () => {
    expect(hardwareHere, 'this test expects a machine without a hardware H.264 encoder').toBe(false);
    forgetEncoderProbe();
    const probed: unknown[] = [];
    const d = await resolveEncoder('auto', { onProbed: (x) => probed.push(x) });
    expect(d.kind).toBe('libx264');
    expect(d.reasons).toHaveLength(AUTO_CANDIDATES.length);
    expect(d.reasons[0]).toMatch(/^h264_vaapi: no render device \/dev\/dri\/renderD128/);
    expect(d.reasons[1]).toMatch(/^h264_v4l2m2m: test encode failed: ffmpeg exited with code \d+/);
    // Cached: asked again, nothing is probed again.
    expect(await resolveEncoder('auto', { onProbed: (x) => probed.push(x) })).toBe(d);
    expect(probed).toHaveLength(1);
  });

  it('the vaapi test encode itself fails on a device path that is not a render node', async () => {
    // /dev/null exists, so the device check passes and ffmpeg's own init fails.
    expect(await testEncoder('h264_vaapi', { vaapiDevice: '/dev/null' })).toMatch(
      /^h264_vaapi: test encode failed: ffmpeg exited with code/,
    );
    expect(await testEncoder('libx264', {})).toBeNull();
  });

  it('a named encoder is taken as it is', async () => {
    expect(await resolveEncoder('h264_v4l2m2m')).toEqual({ kind: 'h264_v4l2m2m', reasons: [] });
  });
});

describe.each([
  ['h264_vaapi', { RENDER_ENCODER: 'h264_vaapi', RENDER_VAAPI_DEVICE: '/dev/null' }, 'h264_vaapi'],
  ['h264_v4l2m2m', { RENDER_ENCODER: 'h264_v4l2m2m' }, 'h264_v4l2m2m'],
  ['auto', { RENDER_ENCODER: 'auto' }, null],
])('RENDER_ENCODER=%s on a machine without one', (_name, env, fellBackFrom) => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    forgetEncoderProbe();
    dir = await tempDir('proc-encoder');
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      ...env,
    });
    p = await startProcessor(config, { logger: pino({ level: 'info' }, collect(logs)) });
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('still makes the film, with libx264, and logs why', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 8 });
    const deadline = Date.now() + 60_000;
    let job: Record<string, unknown> | undefined;
    while (Date.now() < deadline) {
      job = ((await p.pipeline.status()).jobs as Array<Record<string, unknown>>).find((j) => j.id === id);
      if (job && ['done', 'failed', 'quarantined'].includes(String(job.state))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job?.state).toBe('done');
    const movie = path.join(p.config.dataDir, 'films', id, 'movie.mp4');
    expect(await probeVideo(movie)).toMatchObject({ codec: 'h264', profile: 'High', pixFmt: 'yuv420p', frames: 9 });
    expect(await madeByX264(movie)).toBe(true);
    expect(logs.find((l) => l.event === 'render.done' && l.id === id)?.encoder).toBe('libx264');
    const fallback = logs.find((l) => l.event === 'render.encoder_fallback' && l.id === id);
    if (fellBackFrom) {
      expect(fallback).toMatchObject({ encoder: fellBackFrom, fallback: 'libx264' });
      expect(String(fallback?.reason)).not.toBe('');
    } else {
      expect(fallback).toBeUndefined();
      const probed = logs.find((l) => l.event === 'render.encoder_probed');
      expect(probed?.encoder).toBe('libx264');
      expect(probed?.passedOver).toHaveLength(2);
    }
  });
});
