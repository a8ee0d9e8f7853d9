// USB webcams: mode choice from two real cameras' `v4l2-ctl --list-formats-ext` output, and the
// control lock under both kernels' control names, through a v4l2-ctl stand-in (test/fixtures/v4l2/).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { v4l2Args } from '../src/camera/args.js';
import { createCamera } from '../src/camera/camera.js';
import { chooseMode, describeModes, lockPlan, parseControlNames, parseFormatsExt } from '../src/camera/v4l2.js';
import { loadConfig } from '../src/config.js';

const log = pino({ level: 'silent' });
const fixtures = fileURLToPath(new URL('./fixtures/v4l2/', import.meta.url));
const formatsOf = async (name: string) => parseFormatsExt(await readFile(path.join(fixtures, name), 'utf8'));

describe('v4l2 modes', () => {
  it('parses the no-name 720p camera', async () => {
    expect(await formatsOf('ebay-720p.txt')).toEqual([
      {
        fourcc: 'YUYV',
        description: 'YUYV 4:2:2',
        sizes: [
          { width: 1280, height: 720, fps: [10] },
          { width: 640, height: 480, fps: [25] },
        ],
      },
      {
        fourcc: 'MJPG',
        description: 'Motion-JPEG, compressed',
        sizes: [
          { width: 1280, height: 720, fps: [25] },
          { width: 640, height: 480, fps: [25] },
        ],
      },
    ]);
  });

  it.each([
    // MJPEG when offered: 1280×720 at 25 fps, though YUYV is listed first (it only manages 10 fps there).
    ['ebay-720p.txt', { width: 1280, height: 720, fps: 30 }, { input: 'mjpeg', width: 1280, height: 720, fps: 25 }],
    ['ebay-720p.txt', { width: 640, height: 480, fps: 15 }, { input: 'mjpeg', width: 640, height: 480, fps: 25 }],
    ['logitech-c127.txt', { width: 640, height: 480, fps: 30 }, { input: 'mjpeg', width: 640, height: 480, fps: 30 }],
    ['logitech-c127.txt', { width: 1024, height: 768, fps: 20 }, { input: 'mjpeg', width: 1024, height: 768, fps: 15 }],
  ] as const)('%s at %j → %j', async (file, want, mode) => {
    expect(chooseMode(await formatsOf(file), want)).toEqual({ ok: true, mode });
  });

  it('a camera without MJPEG at that size is encoded from YUYV (the 720p camera with its MJPG list left out)', async () => {
    const yuyvOnly = (await formatsOf('ebay-720p.txt')).filter((f) => f.fourcc === 'YUYV');
    expect(chooseMode(yuyvOnly, { width: 1280, height: 720, fps: 30 })).toEqual({
      ok: true,
      mode: { input: 'yuyv422', width: 1280, height: 720, fps: 10 },
    });
  });

  it('a size the camera does not offer is refused with what it offers', async () => {
    const r = chooseMode(await formatsOf('logitech-c127.txt'), { width: 1280, height: 720, fps: 30 });
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('no 1280x720 in MJPEG or YUYV') });
    expect(!r.ok && r.reason).toContain('MJPG 640x480@30');
    expect(describeModes(await formatsOf('ebay-720p.txt'))).toBe('YUYV 1280x720@10, 640x480@25; MJPG 1280x720@25, 640x480@25');
  });

  it.each([
    [
      'new kernel names',
      'auto_exposure exposure_time_absolute white_balance_automatic white_balance_temperature focus_automatic_continuous focus_absolute',
      {
        read: ['exposure_time_absolute', 'white_balance_temperature', 'focus_absolute'],
        off: [
          ['auto_exposure', 1],
          ['white_balance_automatic', 0],
          ['focus_automatic_continuous', 0],
        ],
      },
    ],
    [
      'old kernel names',
      'exposure_auto exposure_absolute white_balance_temperature_auto white_balance_temperature focus_auto focus_absolute',
      {
        read: ['exposure_absolute', 'white_balance_temperature', 'focus_absolute'],
        off: [
          ['exposure_auto', 1],
          ['white_balance_temperature_auto', 0],
          ['focus_auto', 0],
        ],
      },
    ],
    ['a fixed-focus camera', 'auto_exposure exposure_time_absolute', { read: ['exposure_time_absolute'], off: [['auto_exposure', 1]] }],
  ])('lock plan, %s', (_n, names, plan) => {
    expect(lockPlan(new Set(names.split(' ')))).toEqual(plan);
  });

  it('control names from --list-ctrls lines', () => {
    const names = parseControlNames(
      '\nUser Controls\n\n                     brightness 0x00980900 (int)    : min=0 max=255 step=1 default=128 value=128\n' +
        '                  auto_exposure 0x009a0901 (menu)   : min=0 max=3 default=3 value=3 (Aperture Priority Mode)\n',
    );
    expect([...names]).toEqual(['brightness', 'auto_exposure']);
  });
});

describe('CAMERA=v4l2 against the v4l2-ctl stand-in', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await tempDir('v4l2');
  });
  afterEach(async () => {
    await dir.remove();
  });

  /** Installs v4l2-ctl (the stand-in) and an ffmpeg that records its argv and plays a lavfi MJPEG scene. */
  async function setup(devices: Record<string, { formats: string; kernel: 'new' | 'old' }>) {
    const world = path.join(dir.path, 'world.json');
    const setLog = path.join(dir.path, 'set.log');
    const argvFile = path.join(dir.path, 'ffmpeg-argv.json');
    await writeFile(world, JSON.stringify({ devices, state: path.join(dir.path, 'state.json'), setLog }));
    const ctl = path.join(dir.path, 'v4l2-ctl');
    await writeFile(ctl, `#!/bin/sh\nFAKE_V4L2='${world}' exec '${path.join(fixtures, 'v4l2-ctl.mjs')}' "$@"\n`, { mode: 0o755 });
    const ffmpeg = path.join(dir.path, 'ffmpeg');
    await writeFile(
      ffmpeg,
      `#!/usr/bin/env node
require('node:fs').writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));
const c = require('node:child_process').spawn('ffmpeg', ['-nostdin', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10', '-q:v', '5', '-f', 'mjpeg', 'pipe:1'], { stdio: ['ignore', 'inherit', 'inherit'] });
process.on('SIGTERM', () => { c.kill('SIGTERM'); process.exit(0); });
`,
      { mode: 0o755 },
    );
    return { ctl, ffmpeg, setLog, argv: async () => JSON.parse(await readFile(argvFile, 'utf8')) as string[] };
  }

  const config = (env: Record<string, string>) => {
    const r = loadConfig({ CAMERA: 'v4l2', CAMERA_SETTLE_MS: '200', ...env });
    if (!r.ok) throw new Error(r.errors.join('; '));
    return r.config.camera;
  };

  it.each(['new', 'old'] as const)(
    'MJPEG copied at the chosen rate, controls locked after the settle (%s kernel names)',
    async (kernel) => {
      const t = await setup({ '/dev/video0': { formats: 'ebay-720p.txt', kernel } });
      const camera = createCamera(config({ CAMERA_COMMAND: t.ffmpeg, CAMERA_CONTROL_COMMAND: t.ctl }), log);
      const frames: Buffer[] = [];
      await camera.start({ onFrame: (f) => frames.push(f), onExit: () => undefined });
      try {
        await waitFor('a frame', () => frames.length > 0);
        expect(await t.argv()).toEqual(v4l2Args({ width: 1280, height: 720, fps: 25, device: '/dev/video0', input: 'mjpeg', quality: 3 }));
        expect(camera.modes?.()).toBe('YUYV 1280x720@10, 640x480@25; MJPG 1280x720@25, 640x480@25 (using MJPG 1280x720@25)');
        const calls = await waitFor('the lock', async () => {
          const lines = (await readFile(t.setLog, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
          return lines.length >= 2 ? lines : undefined;
        });
        const n =
          kernel === 'new'
            ? { ae: 'auto_exposure', exp: 'exposure_time_absolute', awb: 'white_balance_automatic', af: 'focus_automatic_continuous' }
            : { ae: 'exposure_auto', exp: 'exposure_absolute', awb: 'white_balance_temperature_auto', af: 'focus_auto' };
        // Automatics off first (the values are inactive until then), then the values they had settled on.
        expect(calls).toEqual([`${n.ae}=1,${n.awb}=0,${n.af}=0`, `${n.exp}=156,white_balance_temperature=4600,focus_absolute=30`]);
      } finally {
        await camera.stop();
      }
    },
  );

  it("a device that is not there fails the start with v4l2-ctl's reason", async () => {
    const t = await setup({ '/dev/video0': { formats: 'logitech-c127.txt', kernel: 'new' } });
    const camera = createCamera(config({ CAMERA_DEVICE: '/dev/video9', CAMERA_COMMAND: t.ffmpeg, CAMERA_CONTROL_COMMAND: t.ctl }), log);
    await expect(camera.start({ onFrame: () => undefined, onExit: () => undefined })).rejects.toThrow(
      'Cannot open device /dev/video9, exiting.',
    );
  });

  it('a size the camera does not offer fails the start naming its modes', async () => {
    const t = await setup({ '/dev/video0': { formats: 'logitech-c127.txt', kernel: 'new' } });
    const camera = createCamera(config({ CAMERA_COMMAND: t.ffmpeg, CAMERA_CONTROL_COMMAND: t.ctl }), log);
    await expect(camera.start({ onFrame: () => undefined, onExit: () => undefined })).rejects.toThrow(/no 1280x720 .*MJPG 640x480@30/);
  });
});
