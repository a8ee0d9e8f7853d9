/** The film's H.264 encoder per kind (libx264, V4L2 M2M, VAAPI) and the probes that tell which one works. */

/** The H.264 encoders the film can be made with; libx264 is the fallback that always works. */
export const VIDEO_ENCODERS = ['libx264', 'h264_v4l2m2m', 'h264_vaapi'] as const;
export type VideoEncoder = (typeof VIDEO_ENCODERS)[number];

export interface EncoderSettings {
  preset: string;
  crf: number;
  threads: number;
  /** Default libx264. */
  kind?: VideoEncoder | undefined;
  /** The DRM render node h264_vaapi opens. */
  vaapiDevice?: string | undefined;
}

export const DEFAULT_VAAPI_DEVICE = '/dev/dri/renderD128';

/** Bits per second for encoders without a constant-quality mode: 0.2 bit per pixel and frame, 1–20 Mbit/s. */
export function hardwareBitrate(width: number, height: number, fps: number): number {
  return Math.min(20_000_000, Math.max(1_000_000, Math.round(width * height * fps * 0.2)));
}

/** Options before the inputs an encoder needs (a device for VAAPI). */
export function encoderGlobalArgs(e: EncoderSettings): string[] {
  if (e.kind === 'h264_vaapi') return ['-init_hw_device', `vaapi=va:${e.vaapiDevice ?? DEFAULT_VAAPI_DEVICE}`, '-filter_hw_device', 'va'];
  return [];
}

/** Filters that end the film's chain for an encoder: VAAPI encodes from NV12 surfaces on the device. */
export function encoderUpload(e: EncoderSettings): string | null {
  return e.kind === 'h264_vaapi' ? 'format=nv12,hwupload' : null;
}

/** H.264 High for the film, per encoder. */
export function videoEncoderArgs(e: EncoderSettings, size: { width: number; height: number; fps: number }): string[] {
  switch (e.kind ?? 'libx264') {
    case 'h264_v4l2m2m':
      // profile is the generic AVCodecContext option here: 100 = High.
      return [
        '-c:v',
        'h264_v4l2m2m',
        '-profile:v',
        '100',
        '-b:v',
        String(hardwareBitrate(size.width, size.height, size.fps)),
        '-pix_fmt',
        'yuv420p',
      ];
    case 'h264_vaapi':
      return ['-c:v', 'h264_vaapi', '-profile:v', 'high', '-rc_mode', 'CQP', '-qp', String(e.crf)];
    default:
      return [
        '-c:v',
        'libx264',
        '-profile:v',
        'high',
        '-preset',
        e.preset,
        '-crf',
        String(e.crf),
        '-pix_fmt',
        'yuv420p',
        '-threads',
        String(e.threads),
      ];
  }
}

/** `ffmpeg -hide_banner -encoders`: which encoders this build has. */
export function buildListEncodersArgs(): string[] {
  return ['-hide_banner', '-nostdin', '-encoders'];
}

/** Encoder names from `ffmpeg -encoders` (lines like ` V....D libx264   libx264 H.264 …`). */
export function parseEncoderList(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^\s*[VAS][A-Z.]{5}\s+(\S+)\s/.exec(line);
    if (m?.[1] && m[1] !== '=') names.add(m[1]);
  }
  return names;
}

/** A tiny test encode (half a second of 320×240) that tells whether an encoder really works here. */
export function buildEncoderTestArgs(e: EncoderSettings): string[] {
  const upload = encoderUpload(e);
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...encoderGlobalArgs(e),
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=320x240:r=10:d=0.5',
    '-vf',
    upload ? `format=yuv420p,${upload}` : 'format=yuv420p',
    ...videoEncoderArgs(e, { width: 320, height: 240, fps: 10 }),
    '-f',
    'null',
    '-',
  ];
}
