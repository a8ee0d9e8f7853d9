import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import type { CameraStatus } from '@stop-motion/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type Camera, type CameraHandlers, createCamera } from '../src/camera/camera.js';
import { CameraSupervisor } from '../src/camera/supervisor.js';
import { loadConfig, type StationConfig } from '../src/config.js';
import { fakeJpeg } from './jpeg-fixtures.js';

const log = pino({ level: 'silent' });

function cameraConfig(env: Record<string, string>): StationConfig['camera'] {
  const r = loadConfig(env);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config.camera;
}

async function collect(camera: Camera, count: number, timeoutMs = 10_000): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let exit: string | undefined;
  await camera.start({ onFrame: (f) => frames.push(f), onExit: (r) => (exit = r) });
  const deadline = Date.now() + timeoutMs;
  while (frames.length < count && !exit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await camera.stop();
  if (frames.length < count) throw new Error(`got ${frames.length} frames; exit: ${exit}`);
  return frames;
}

function probeSize(jpeg: Buffer): string {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', '-i', 'pipe:0'], {
    input: jpeg,
  });
  return r.stdout.toString().trim();
}

describe('cameras', () => {
  it('test camera streams distinct decodable JPEGs at the configured size', async () => {
    const camera = createCamera(cameraConfig({ CAMERA: 'test', CAMERA_WIDTH: '320', CAMERA_HEIGHT: '240', CAMERA_FPS: '15' }), log);
    const frames = await collect(camera, 6);
    expect(probeSize(frames[5] as Buffer)).toBe('320,240');
    expect(new Set(frames.map((f) => f.toString('base64'))).size).toBe(frames.length);
  });

  it('replay of a folder sends the files byte for byte, looping', async () => {
    const dir = await tempDir('replay');
    try {
      const files = [fakeJpeg({ seed: 1 }), fakeJpeg({ seed: 2 }), fakeJpeg({ seed: 3 })];
      for (const [i, f] of files.entries()) await writeFile(path.join(dir.path, `f${i}.jpg`), f);
      await writeFile(path.join(dir.path, 'notes.txt'), 'not a frame');
      const camera = createCamera(cameraConfig({ CAMERA: 'replay', CAMERA_SOURCE: dir.path, CAMERA_FPS: '50' }), log);
      const frames = await collect(camera, 5);
      expect(frames.slice(0, 5)).toEqual([files[0], files[1], files[2], files[0], files[1]]);
    } finally {
      await dir.remove();
    }
  });

  it('replay of a video file loops it as MJPEG', async () => {
    const dir = await tempDir('replay-video');
    try {
      const video = path.join(dir.path, 'clip.mp4');
      const made = spawnSync('ffmpeg', [
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=160x120:r=10',
        '-frames:v',
        '3',
        '-pix_fmt',
        'yuv420p',
        video,
      ]);
      expect(made.status).toBe(0);
      const camera = createCamera(
        cameraConfig({ CAMERA: 'replay', CAMERA_SOURCE: video, CAMERA_WIDTH: '320', CAMERA_HEIGHT: '240', CAMERA_FPS: '30' }),
        log,
      );
      const frames = await collect(camera, 8); // more than the clip has: it loops
      expect(probeSize(frames[7] as Buffer)).toBe('320,240');
    } finally {
      await dir.remove();
    }
  });

  it('a missing program is reported as an exit, not a crash', async () => {
    const camera = createCamera({ ...cameraConfig({ CAMERA: 'v4l2' }), command: '/nonexistent/ffmpeg' }, log);
    const reason = await new Promise<string>((resolve) => void camera.start({ onFrame: () => undefined, onExit: resolve }));
    expect(reason).toMatch(/could not start/);
  });

  it('rpicam: settle run, then the stream with the measured values locked', async () => {
    const dir = await tempDir('fake-rpicam');
    try {
      // A stand-in for rpicam-vid: writes metadata on the settle run, records its argv, streams JPEGs otherwise.
      const script = path.join(dir.path, 'rpicam-vid');
      const calls = path.join(dir.path, 'calls.jsonl');
      const jpeg = fakeJpeg({ seed: 5 }).toString('base64');
      await writeFile(
        script,
        `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(args) + '\\n');
const m = args.indexOf('--metadata');
if (m >= 0) { fs.writeFileSync(args[m + 1], '[{"ExposureTime": 16000, "AnalogueGain": 2.5, "ColourGains": [1.7, 1.3], "LensPosition": 1.5},'); process.exit(0); }
const frame = Buffer.from(${JSON.stringify(jpeg)}, 'base64');
setInterval(() => process.stdout.write(frame), 20);
`,
        { mode: 0o755 },
      );
      const camera = createCamera(
        {
          ...cameraConfig({ CAMERA: 'rpicam', CAMERA_LOCK: 'settle', CAMERA_SETTLE_MS: '200', CAMERA_LENS_POSITION: '4' }),
          command: script,
        },
        log,
      );
      const frames = await collect(camera, 2);
      expect(frames[0]?.toString('base64')).toBe(jpeg);
      const argv = (await readFile(calls, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]);
      expect(argv[0]).toContain('--metadata');
      const stream = argv[1] as string[];
      expect(stream.join(' ')).toContain('--shutter 16000us --gain 2.5 --awbgains 1.7,1.3 --autofocus-mode manual --lens-position 4');
    } finally {
      await dir.remove();
    }
  });
});

/** A camera driven by the test: emits frames on demand, can "crash". */
class FakeCamera implements Camera {
  readonly kind = 'fake';
  handlers: CameraHandlers | undefined;
  starts = 0;
  async start(h: CameraHandlers): Promise<void> {
    this.starts++;
    this.handlers = h;
  }
  async stop(): Promise<void> {
    this.handlers = undefined;
  }
  frame(seed: number): void {
    this.handlers?.onFrame(fakeJpeg({ seed, size: 20 }));
  }
  crash(): void {
    const h = this.handlers;
    this.handlers = undefined;
    h?.onExit('boom');
  }
}

const until = async (what: string, check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('camera supervisor', () => {
  it('restarts a camera that exits, and reports it', async () => {
    const fake = new FakeCamera();
    const sup = new CameraSupervisor(fake, { stallMs: 5000, width: 16, height: 16, minBackoffMs: 20, maxBackoffMs: 100 }, log);
    const statuses: CameraStatus[] = [];
    sup.on('status', (s) => statuses.push(s));
    await sup.start();
    fake.frame(1);
    expect(sup.state.state).toBe('ok');
    fake.crash();
    expect(sup.state).toMatchObject({ state: 'restarting', message: 'boom', restarts: 1 });
    await until('restart', () => fake.starts === 2);
    fake.frame(2);
    expect(sup.state).toMatchObject({ state: 'ok', restarts: 1 });
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ok', 'restarting', 'ok']);
    await sup.stop();
    expect(sup.state.state).toBe('off');
  });

  it('restarts a camera that stalls', async () => {
    const fake = new FakeCamera();
    const sup = new CameraSupervisor(fake, { stallMs: 200, width: 16, height: 16, minBackoffMs: 10, maxBackoffMs: 50 }, log);
    await sup.start();
    fake.frame(1);
    await until('stall restart', () => fake.starts >= 2);
    expect(sup.state.message).toMatch(/no frame for 200 ms/);
    await sup.stop();
  });

  it('nextFrame gives the first frame arriving after the given time', async () => {
    const fake = new FakeCamera();
    const sup = new CameraSupervisor(fake, { stallMs: 5000, width: 16, height: 16 }, log);
    await sup.start();
    fake.frame(1);
    const waiting = sup.nextFrame(performance.now() + 30, 2000);
    fake.frame(2); // too early
    await new Promise((r) => setTimeout(r, 40));
    fake.frame(3);
    fake.frame(4);
    const frame = await waiting;
    expect(frame.data.equals(fakeJpeg({ seed: 3, size: 20 }))).toBe(true);
    await expect(sup.nextFrame(performance.now(), 50)).rejects.toThrow(/no camera frame/);
    await sup.stop();
  });
});
