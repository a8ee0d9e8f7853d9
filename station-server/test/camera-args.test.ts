import { describe, expect, it } from 'vitest';
import { lockedControlsFromMetadata, replayVideoArgs, rpicamArgs, rpicamSettleArgs, testCameraArgs, v4l2Args } from '../src/camera/args.js';
import { loadConfig } from '../src/config.js';

const size = { width: 1280, height: 720, fps: 30 };

describe('camera argument builders', () => {
  it('test camera: lavfi scene at the configured size and rate, MJPEG to stdout, real time', () => {
    const args = testCameraArgs({ ...size, quality: 6 });
    expect(args).toContain('-re');
    expect(args.some((a) => a.startsWith('color=c=0x8a6a4a:s=1280x720:r=30'))).toBe(true);
    expect(args.slice(-5)).toEqual(['-q:v', '6', '-f', 'mjpeg', 'pipe:1']);
    const graph = args[args.indexOf('-filter_complex') + 1];
    expect(graph).toContain("text='%{n}'");
    expect(graph).toContain('%{localtime}');
  });

  it('test camera: a label is escaped for the filter graph', () => {
    const graph = testCameraArgs({ width: 320, height: 240, fps: 10, quality: 5, label: "a:b,c'd" }).find((a) => a.includes('drawbox'));
    expect(graph).toContain("text='a\\:b\\,c\\'d'");
  });

  it.each([
    [
      { ...size, device: '/dev/video0', input: 'mjpeg' as const, quality: 3 },
      ['-f', 'v4l2', '-input_format', 'mjpeg', '-framerate', '30', '-video_size', '1280x720', '-i', '/dev/video0', '-c:v', 'copy'],
    ],
    [
      { width: 640, height: 480, fps: 15, device: '/dev/video2', input: 'mjpeg' as const, quality: 3 },
      ['-framerate', '15', '-video_size', '640x480', '-i', '/dev/video2'],
    ],
  ])('v4l2 MJPEG %#', (o, expected) => {
    const args = v4l2Args(o);
    const joined = args.join(' ');
    expect(joined).toContain(expected.join(' '));
    expect(args.slice(-3)).toEqual(['-f', 'mjpeg', 'pipe:1']);
    expect(args).not.toContain('-q:v'); // copied, never re-encoded
  });

  it('v4l2 YUYV: encoded here at CAMERA_QUALITY', () => {
    const args = v4l2Args({ ...size, device: '/dev/video0', input: 'yuyv422', quality: 4 });
    expect(args.join(' ')).toContain(
      '-input_format yuyv422 -framerate 30 -video_size 1280x720 -i /dev/video0 -vf format=yuvj420p -c:v mjpeg -q:v 4',
    );
    expect(args.slice(-3)).toEqual(['-f', 'mjpeg', 'pipe:1']);
  });

  it('replay of a video file loops in real time', () => {
    const args = replayVideoArgs({ ...size, source: '/films/set.mp4', quality: 5 });
    expect(args.join(' ')).toContain('-re -stream_loop -1 -i /films/set.mp4');
    expect(args.slice(-3)).toEqual(['-f', 'mjpeg', 'pipe:1']);
  });

  it.each([
    [
      'automatic',
      {},
      undefined,
      ['-t', '0', '-n', '--codec', 'mjpeg', '--width', '1280', '--height', '720', '--framerate', '30', '-o', '-'],
    ],
    [
      'fixed values, 50 Hz mains',
      { shutterUs: 20000, gain: 1.5, awbGains: '1.8,1.4', lensPosition: 2.25 },
      50,
      [
        '-t',
        '0',
        '-n',
        '--codec',
        'mjpeg',
        '--width',
        '1280',
        '--height',
        '720',
        '--framerate',
        '30',
        '--flicker-period',
        '10000us',
        '--shutter',
        '20000us',
        '--gain',
        '1.5',
        '--awbgains',
        '1.8,1.4',
        '--autofocus-mode',
        'manual',
        '--lens-position',
        '2.25',
        '-o',
        '-',
      ],
    ],
    [
      'only focus fixed, 60 Hz',
      { lensPosition: 0 },
      60,
      [
        '-t',
        '0',
        '-n',
        '--codec',
        'mjpeg',
        '--width',
        '1280',
        '--height',
        '720',
        '--framerate',
        '30',
        '--flicker-period',
        '8333us',
        '--autofocus-mode',
        'manual',
        '--lens-position',
        '0',
        '-o',
        '-',
      ],
    ],
  ] as const)('rpicam: %s', (_name, locked, flickerHz, expected) => {
    expect(rpicamArgs({ ...size, locked, flickerHz })).toEqual(expected);
  });

  it('rpicam settle run writes JSON metadata and no video', () => {
    expect(rpicamSettleArgs({ ...size, settleMs: 1500, metadataFile: '/tmp/m.json', flickerHz: 50 })).toEqual([
      '-t',
      '1500ms',
      '-n',
      '--codec',
      'mjpeg',
      '--width',
      '1280',
      '--height',
      '720',
      '--framerate',
      '30',
      '--flicker-period',
      '10000us',
      '--metadata',
      '/tmp/m.json',
      '--metadata-format',
      'json',
      '-o',
      '/dev/null',
    ]);
  });
});

describe('lockedControlsFromMetadata (settle then lock)', () => {
  const frame = (e: number, g: number, c: [number, number], l?: number) =>
    JSON.stringify({ ExposureTime: e, AnalogueGain: g, ColourGains: c, ...(l === undefined ? {} : { LensPosition: l }) });

  it.each([
    [
      'a JSON array: the last frame wins',
      `[${frame(10000, 2, [1.5, 1.7])},${frame(19000, 1.25, [1.61234, 1.9], 3)}]`,
      { shutterUs: 19000, gain: 1.25, awbGains: '1.612,1.9', lensPosition: 3 },
    ],
    [
      'an array cut off by the end of the run',
      `[${frame(10000, 2, [1.5, 1.7])},\n${frame(12000, 3, [1, 2])},`,
      { shutterUs: 12000, gain: 3, awbGains: '1,2' },
    ],
    [
      'one object per line',
      `${frame(8000, 4, [2, 2])}\n${frame(9000, 5, [2.5, 1.5])}\n`,
      { shutterUs: 9000, gain: 5, awbGains: '2.5,1.5' },
    ],
  ])('%s', (_n, text, expected) => {
    expect(lockedControlsFromMetadata(text)).toEqual(expected);
  });

  it.each(['', 'garbage', '[]', '[{"Lux": 400}]'])('null for %j', (text) => {
    expect(lockedControlsFromMetadata(text)).toBeNull();
  });
});

describe('CAMERA_QUALITY on each camera scale', () => {
  const qualityArgs = (env: Record<string, string>): string[] => {
    const r = loadConfig({ CAMERA_SOURCE: '/films/set.mp4', ...env });
    if (!r.ok) throw new Error(r.errors.join('; '));
    const c = r.config.camera;
    const args =
      c.kind === 'rpicam'
        ? rpicamArgs(c)
        : c.kind === 'replay'
          ? replayVideoArgs({ ...c, source: '/films/set.mp4' })
          : c.kind === 'v4l2'
            ? v4l2Args({ ...c, input: 'yuyv422' })
            : testCameraArgs(c);
    const i = args.findIndex((a) => a === '-q' || a === '-q:v');
    return args.slice(i, i + 2);
  };

  it.each([
    // rpicam-vid: libjpeg quality, higher is better; 93 like rpicam-still, not rpicam-vid's streaming 50.
    [{ CAMERA: 'rpicam' }, ['-q', '93']],
    [{ CAMERA: 'rpicam', CAMERA_QUALITY: '80' }, ['-q', '80']],
    [{ CAMERA: 'rpicam', CAMERA_QUALITY: '100' }, ['-q', '100']],
    // ffmpeg: -q:v, lower is better.
    [{ CAMERA: 'test' }, ['-q:v', '6']],
    [{ CAMERA: 'test', CAMERA_QUALITY: '2' }, ['-q:v', '2']],
    [{ CAMERA: 'replay' }, ['-q:v', '6']],
    [{ CAMERA: 'v4l2' }, ['-q:v', '3']],
    [{ CAMERA: 'v4l2', CAMERA_QUALITY: '31' }, ['-q:v', '31']],
  ])('%j → %j', (env, expected) => {
    expect(qualityArgs(env)).toEqual(expected);
  });

  it.each([
    [
      { CAMERA: 'rpicam', CAMERA_QUALITY: '0' },
      'with CAMERA=rpicam it is rpicam-vid\'s JPEG quality, 1–100, higher is better: a whole number from 1 to 100, got "0"',
    ],
    [{ CAMERA: 'rpicam', CAMERA_QUALITY: '101' }, 'from 1 to 100'],
    [
      { CAMERA: 'test', CAMERA_QUALITY: '93' },
      'with CAMERA=test it is ffmpeg\'s MJPEG -q:v, 2–31, lower is better: a whole number from 2 to 31, got "93"',
    ],
    [{ CAMERA: 'v4l2', CAMERA_QUALITY: '1' }, 'from 2 to 31'],
    [{ CAMERA: 'test', CAMERA_QUALITY: '4.5' }, 'a whole number'],
  ])('%j is refused with a reason', (env, reason) => {
    const r = loadConfig(env);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.find((e) => e.startsWith('CAMERA_QUALITY: '))).toContain(reason);
  });
});
