// The camera command lines pinned whole: sizes derived from the frame size, quoting
// for ffmpeg's filter syntax, and the rpicam options that lock exposure.
import { describe, expect, it } from 'vitest';
import {
  flickerPeriod,
  lockedControlsFromMetadata,
  replayVideoArgs,
  rpicamArgs,
  rpicamSettleArgs,
  testCameraArgs,
  v4l2Args,
} from '../src/camera/args.js';

const HEAD = ['-nostdin', '-hide_banner', '-loglevel', 'error'];
const OUT = ['-flush_packets', '1', '-q:v', '7', '-f', 'mjpeg', 'pipe:1'];
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

describe('testCameraArgs', () => {
  it('640×360: the scene scaled to the frame', () => {
    expect(testCameraArgs({ width: 640, height: 360, fps: 25, quality: 7 })).toEqual([
      ...HEAD,
      '-re',
      '-f',
      'lavfi',
      '-i',
      'color=c=0x8a6a4a:s=640x360:r=25,format=yuvj420p',
      '-f',
      'lavfi',
      '-i',
      'color=c=0xd83a2e:s=80x80:r=25',
      '-filter_complex',
      '[0]drawbox=x=0:y=ih*0.7:w=iw:h=ih*0.3:color=0x4a7a3a:t=fill[bg];' +
        "[bg][1]overlay=x='53+mod(floor(t*6)*13\\,W-187)':y='H*0.7-72+16*sin(floor(t*6)/2)'," +
        `drawtext=fontfile=${FONT}:text='%{n}':x=20:y=20:fontsize=33:fontcolor=white:box=1:boxcolor=black@0.5,` +
        `drawtext=fontfile=${FONT}:text='%{localtime}':x=20:y=h-40:fontsize=18:fontcolor=white`,
      ...OUT,
    ]);
  });
  it('a tiny frame keeps the block, step and text sizes at their minimums', () => {
    const args = testCameraArgs({ width: 40, height: 20, fps: 5, quality: 7 });
    expect(args[12]).toBe('color=c=0xd83a2e:s=8x8:r=5');
    const graph = args[14] ?? '';
    expect(graph).toContain('mod(floor(t*6)*2\\,W-15)');
    expect(graph).toContain(':fontsize=10:fontcolor=white:box=1');
    expect(graph).toMatch(/%\{localtime\}':x=1:y=h-2:fontsize=8:fontcolor=white$/);
  });
  it('a label and a font are quoted for the filter graph', () => {
    const graph = testCameraArgs({ width: 640, height: 360, fps: 25, quality: 7, font: '/f/a:b.ttf', label: 's1=[a];b\\c' })[14] ?? '';
    expect(graph.endsWith(",drawtext=fontfile=/f/a\\:b.ttf:text='s1\\=\\[a\\]\\;b\\\\c':x=w-tw-20:y=20:fontsize=18:fontcolor=white")).toBe(
      true,
    );
    expect(graph).toContain("drawtext=fontfile=/f/a\\:b.ttf:text='%{n}'");
  });
});

describe('replay and v4l2', () => {
  it('replays a file in a loop, scaled and padded to the frame', () => {
    expect(replayVideoArgs({ width: 640, height: 360, fps: 25, source: '/v/set.mp4', quality: 7 })).toEqual([
      ...HEAD,
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      '/v/set.mp4',
      '-an',
      '-vf',
      'scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,fps=25,format=yuvj420p',
      ...OUT,
    ]);
  });
  it("copies a webcam's own MJPEG, and encodes a YUYV-only one", () => {
    const head = [...HEAD, '-f', 'v4l2', '-input_format'];
    const input = ['-framerate', '25', '-video_size', '640x360', '-i', '/dev/video1'];
    const out = ['-flush_packets', '1', '-f', 'mjpeg', 'pipe:1'];
    const o = { width: 640, height: 360, fps: 25, device: '/dev/video1', quality: 4 };
    expect(v4l2Args({ ...o, input: 'mjpeg' })).toEqual([...head, 'mjpeg', ...input, '-c:v', 'copy', ...out]);
    expect(v4l2Args({ ...o, input: 'yuyv422' })).toEqual([
      ...head,
      'yuyv422',
      ...input,
      '-vf',
      'format=yuvj420p',
      '-c:v',
      'mjpeg',
      '-q:v',
      '4',
      ...out,
    ]);
  });
});

describe('rpicam', () => {
  const size = { width: 640, height: 360, fps: 25 };
  const base = ['-t', '0', '-n', '--codec', 'mjpeg', '--width', '640', '--height', '360', '--framerate', '25'];
  it('quality and rounding of locked values', () => {
    expect(rpicamArgs({ ...size, quality: 80, locked: { shutterUs: 16666.6, gain: 1.23456 } })).toEqual([
      ...base,
      '-q',
      '80',
      '--shutter',
      '16667us',
      '--gain',
      '1.235',
      '-o',
      '-',
    ]);
  });
  it('each locked value alone', () => {
    expect(rpicamArgs({ ...size, locked: { gain: 2 } })).toEqual([...base, '--gain', '2', '-o', '-']);
    expect(rpicamArgs({ ...size, locked: { awbGains: '1.5,1.6' } })).toEqual([...base, '--awbgains', '1.5,1.6', '-o', '-']);
    expect(rpicamArgs({ ...size, locked: { shutterUs: 0 } })).toEqual([...base, '--shutter', '0us', '-o', '-']);
    expect(rpicamArgs({ ...size, locked: { lensPosition: 1.00049 } })).toEqual([
      ...base,
      '--autofocus-mode',
      'manual',
      '--lens-position',
      '1',
      '-o',
      '-',
    ]);
  });
  it('a settle run without flicker option', () => {
    expect(rpicamSettleArgs({ ...size, settleMs: 800, metadataFile: '/m.json' })).toEqual([
      '-t',
      '800ms',
      ...base.slice(2),
      '--metadata',
      '/m.json',
      '--metadata-format',
      'json',
      '-o',
      '/dev/null',
    ]);
    expect(rpicamSettleArgs({ ...size, settleMs: 800, metadataFile: '/m.json', flickerHz: 60 })).toContain('8333us');
  });
  it('flicker periods', () => {
    expect(flickerPeriod(50)).toBe('10000us');
    expect(flickerPeriod(60)).toBe('8333us');
  });
});

describe('lockedControlsFromMetadata', () => {
  it('a single object', () => {
    expect(lockedControlsFromMetadata('{"ExposureTime": 5000, "AnalogueGain": 2}')).toEqual({ shutterUs: 5000, gain: 2 });
  });
  it('an array cut off after a comma and whitespace', () => {
    expect(lockedControlsFromMetadata('[{"ExposureTime": 5000},\n{"ExposureTime": 6000},\n  ')).toEqual({ shutterUs: 6000 });
  });
  it('an array without its closing bracket', () => {
    expect(lockedControlsFromMetadata('[{"ExposureTime": 5000},\n{"ExposureTime": 7000}')).toEqual({ shutterUs: 7000 });
  });
  it('skips array members that are not objects', () => {
    expect(lockedControlsFromMetadata('[{"AnalogueGain": 3}, null, 4, "x"]')).toEqual({ gain: 3 });
  });
  it('lines with trailing commas, ignoring lines that are not objects', () => {
    expect(lockedControlsFromMetadata('{"AnalogueGain": 3},\n[1,2]\n7\n{"AnalogueGain": 4},\nnot json')).toEqual({ gain: 4 });
  });
  it('ignores values out of range or of the wrong type', () => {
    expect(
      lockedControlsFromMetadata(JSON.stringify({ ExposureTime: 0, AnalogueGain: -1, ColourGains: [1, 0], LensPosition: -0.5, Lux: 3 })),
    ).toBeNull();
    expect(lockedControlsFromMetadata(JSON.stringify({ ExposureTime: '10', AnalogueGain: '2', LensPosition: '1' }))).toBeNull();
    expect(lockedControlsFromMetadata(JSON.stringify({ ColourGains: [1.5, 1.5, 1.5] }))).toBeNull();
    expect(lockedControlsFromMetadata(JSON.stringify({ ColourGains: [1.5, '1.5'] }))).toBeNull();
    expect(lockedControlsFromMetadata(JSON.stringify({ ColourGains: '1.5,1.5' }))).toBeNull();
    expect(lockedControlsFromMetadata(JSON.stringify({ LensPosition: 0 }))).toEqual({ lensPosition: 0 });
  });
  it('colour gains are rounded to three decimals', () => {
    expect(lockedControlsFromMetadata(JSON.stringify({ ColourGains: [1.23456, 2.0004] }))).toEqual({ awbGains: '1.235,2' });
  });
});
