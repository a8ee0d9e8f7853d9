import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_FONT, DEFAULT_FONT_BOLD, defaultRenderThreads, loadConfig } from '../src/config.js';
import { canMove } from '../src/jobs.js';
import { inspectJpeg } from '../src/jpeg.js';
import { scanBombJpeg } from './scanbomb.js';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, '/srv');
    expect(c).toMatchObject({
      dataDir: '/srv/data/processor',
      inboxDir: '/srv/data/processor/inbox',
      host: '127.0.0.1',
      port: 8760,
      player: 'none',
      titleSeconds: 4,
      renderPreset: 'veryfast',
      s3: null,
    });
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PROCESSOR_PORT: 'x',
        PLAYER: 'vlc',
        TITLE_SECONDS: '-1',
        RENDER_PRESET: 'turbo',
        RENDER_SCHEDULING: 'realtime',
        REDIS_URL: 'http://x',
        PROCESSOR_HOST: '0.0.0.0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PROCESSOR_PORT', 'PLAYER', 'TITLE_SECONDS', 'RENDER_PRESET', 'RENDER_SCHEDULING', 'REDIS_URL', 'STATUS_TOKEN']) {
      expect(problems).toContain(name);
    }
  });

  it('accepts a public bind with a token, and S3 settings', () => {
    const c = loadConfig({ PROCESSOR_HOST: '0.0.0.0', STATUS_TOKEN: 'a-long-enough-token', S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'true' });
    expect(c.s3).toMatchObject({ bucket: 'b', forcePathStyle: true });
  });

  it('wants CONTROL_TOKEN (16 characters or more) with MODERATION=pre', () => {
    expect(() => loadConfig({ MODERATION: 'pre' })).toThrow(/CONTROL_TOKEN: is required with MODERATION=pre/);
    expect(() => loadConfig({ MODERATION: 'pre', CONTROL_TOKEN: 'short' })).toThrow(/CONTROL_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ MODERATION: 'sometimes' })).toThrow(/MODERATION/);
    expect(loadConfig({ MODERATION: 'pre', CONTROL_TOKEN: 'sixteen-chars-ok', REVIEW_ON_SCREEN: 'false' })).toMatchObject({
      moderation: 'pre',
      reviewOnScreen: false,
    });
  });

  it('turns every default into the shape the code uses', () => {
    expect(loadConfig({}, '/srv')).toEqual({
      inboxDir: '/srv/data/processor/inbox',
      dataDir: '/srv/data/processor',
      host: '127.0.0.1',
      port: 8760,
      player: 'none',
      mpvSocket: undefined,
      mpvExtraArgs: [],
      mpvFullscreen: true,
      screenVolume: 80,
      screenMute: false,
      screenQuietHours: null,
      eventName: 'Stop Motion Festival',
      eventTimeZone: expect.any(String),
      titleSeconds: 4,
      titleLogo: undefined,
      fontFile: DEFAULT_FONT,
      fontFileBold: DEFAULT_FONT_BOLD,
      renderThreads: defaultRenderThreads(),
      renderPreset: 'veryfast',
      renderCrf: 20,
      renderTimeoutMs: 900_000,
      renderNice: 10,
      renderScheduling: 'nice',
      renderPreview: true,
      renderEncoder: 'auto',
      renderVaapiDevice: '/dev/dri/renderD128',
      tracksDir: '/srv/data/processor/tracks',
      maxOutputWidth: 1920,
      maxOutputHeight: 1080,
      maxFrames: 3000,
      maxFramePixels: 4096 * 4096,
      maxFrameBytes: 25 * 1024 * 1024,
      maxJpegScans: 100,
      renderFrameBudgetMs: 1000,
      renderBaseMs: 60_000,
      rescanMs: 5000,
      packageGraceMs: 300_000,
      retention: {
        intervalMs: 600_000,
        inboxStaleMs: 48 * 3_600_000,
        quarantineMaxAgeMs: 14 * 86_400_000,
        quarantineMaxBytes: 2048 * 1_048_576,
        filmsMaxAgeMs: 0,
        filmsMaxBytes: 20_480 * 1_048_576,
        minFreeBytes: 1024 * 1_048_576,
      },
      uploadRetryCapMs: 60_000,
      playlistMax: 200,
      reconcileMs: 60_000,
      allowedHosts: [],
      allowedOrigins: [],
      s3TimeoutMs: 30_000,
      s3MinUploadBytesPerSecond: 64 * 1024,
      statusToken: undefined,
      moderation: 'post',
      reviewOnScreen: true,
      controlToken: undefined,
      watchdogLoopMs: 120_000,
      s3: null,
      redisUrl: undefined,
      logLevel: 'info',
      control: {
        galleryHealthUrl: undefined,
        probeMs: 10_000,
        probeTimeoutMs: 3000,
        renderAlertMs: 3_600_000,
        reportListen: null,
        reportWindowMs: 60_000,
        secretsDir: '/etc/stop-motion/stations',
        thresholds: { clockWarnMs: 120_000, diskWarnBytes: 524_288_000, outboxWarnMs: 600_000, silentMs: 20_000, uiDeadMs: 30_000 },
        token: undefined,
        webhookUrl: undefined,
      },
    });
  });

  it('converts units, lists and relative paths', () => {
    const c = loadConfig(
      {
        PROCESSOR_DATA_DIR: 'd',
        TITLE_LOGO: 'logo.png',
        TITLE_FONT: '/f.ttf',
        RESCAN_SECONDS: '7',
        FILMS_MAX_MB: '3',
        MPV_EXTRA_ARGS: ' --vo=null  --ao=null ',
        PROCESSOR_ALLOWED_HOSTS: 'Screen.Local, ,b',
        S3_MIN_UPLOAD_KBPS: '2',
        MPV_FULLSCREEN: 'no',
      },
      '/srv',
    );
    expect(c).toMatchObject({
      dataDir: '/srv/d',
      inboxDir: '/srv/d/inbox',
      titleLogo: '/srv/logo.png',
      fontFile: '/f.ttf',
      fontFileBold: '/f.ttf',
      rescanMs: 7000,
      retention: { filmsMaxBytes: 3 * 1_048_576 },
      mpvExtraArgs: ['--vo=null', '--ao=null'],
      allowedHosts: ['screen.local', 'b'],
      s3MinUploadBytesPerSecond: 2048,
      mpvFullscreen: false,
    });
  });

  it.each([
    [{ STATUS_TOKEN: 'short' }, 'STATUS_TOKEN: must be at least 12 characters'],
    [{ PROCESSOR_HOST: '0.0.0.0' }, 'STATUS_TOKEN: is required when PROCESSOR_HOST (0.0.0.0) is not a loopback address'],
    [{ S3_ENDPOINT: 'ftp://s3' }, 'S3_ENDPOINT: must be an http(s) URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL: must start with redis:// or rediss://'],
    [{ AWS_ACCESS_KEY_ID: 'id' }, 'AWS_SECRET_ACCESS_KEY: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither'],
    [{ AWS_SECRET_ACCESS_KEY: 'secret' }, 'AWS_SECRET_ACCESS_KEY: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither'],
    [{ TITLE_SECONDS: '31' }, 'TITLE_SECONDS: must be a number from 0 to 30, got "31"'],
    [{ RENDER_CRF: '52' }, 'RENDER_CRF: must be a whole number from 0 to 51, got "52"'],
  ])('%o is refused: %s', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([message]);
  });

  it('reports the rules across variables beside the bad variables', () => {
    let error: unknown;
    try {
      loadConfig({ PROCESSOR_PORT: 'x', AWS_ACCESS_KEY_ID: 'id', PROCESSOR_HOST: '0.0.0.0' });
    } catch (err) {
      error = err;
    }
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PROCESSOR_PORT', 'AWS_SECRET_ACCESS_KEY', 'STATUS_TOKEN']) expect(problems).toContain(name);
  });

  it('leaves mpv a core', () => {
    expect(defaultRenderThreads(1)).toBe(1);
    expect(defaultRenderThreads(2)).toBe(1);
    expect(defaultRenderThreads(4)).toBe(2);
  });
});

function jpegHeader(parts: number[][]): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, ...parts.flat(), 0xff, 0xd9]);
}
const sof = (marker: number, w: number, h: number, comps: number) => [
  0xff,
  marker,
  0,
  8 + 3 * comps,
  8,
  h >> 8,
  h & 255,
  w >> 8,
  w & 255,
  comps,
  ...Array(3 * comps).fill(1),
];
const sos = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34];
const exif = (orientation: number) => {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  return [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
};

describe('inspectJpeg', () => {
  it.each<[string, Uint8Array, string]>([
    ['empty', new Uint8Array(0), 'empty file'],
    ['PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), 'not a JPEG (PNG data)'],
    ['no image data', jpegHeader([sof(0xc0, 10, 10, 3)]), 'truncated JPEG (no image data)'],
    ['CMYK', jpegHeader([sof(0xc0, 10, 10, 4), sos]), 'CMYK JPEG'],
    ['cut short', Uint8Array.from([0xff, 0xd8, ...sof(0xc0, 10, 10, 3), ...sos, 1, 2, 3]), 'no end-of-image marker'],
  ])('refuses %s', (_name, data, reason) => {
    const r = inspectJpeg(data);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('reads size, progressive flag and EXIF orientation', () => {
    const r = inspectJpeg(jpegHeader([exif(6), sof(0xc2, 640, 480, 3), sos]));
    expect(r).toEqual({
      ok: true,
      info: { width: 640, height: 480, components: 3, progressive: true, orientation: 6, adobe: false, sampling: '1,1,1', scans: 1 },
    });
  });

  it('counts the scans of the whole file, not just the first, and refuses a scan bomb', () => {
    const bomb = scanBombJpeg({ side: 64, scans: 150 });
    const r = inspectJpeg(bomb);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/more than 100 scans/);
    const allowed = inspectJpeg(bomb, { maxScans: 1000 });
    expect(allowed.ok && allowed.info.scans).toBe(151);
    // Scans whose data holds stuffed 0xFF00 bytes and restart markers are still counted right.
    const stuffed = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0xff, 0x00, 0x12, 0xff, 0xd0, 0x34];
    const three = inspectJpeg(jpegHeader([sof(0xc2, 16, 16, 1), stuffed, stuffed, stuffed]));
    expect(three.ok && three.info.scans).toBe(3);
  });
});

describe('job states', () => {
  it.each([
    ['received', 'rendering', true],
    ['rendering', 'rendered', true],
    ['rendered', 'uploading', true],
    ['uploading', 'done', true],
    ['done', 'rendering', false],
    ['uploading', 'rendering', false],
    ['quarantined', 'received', true],
  ] as const)('%s → %s: %s', (from, to, ok) => {
    expect(canMove(from, to)).toBe(ok);
  });
});

describe('main.ts', () => {
  it('refuses to start on bad configuration, listing every bad variable, exit code 2', async () => {
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', 'processor/src/main.ts'],
        {
          cwd: root,
          env: { PATH: process.env.PATH, PLAYER: 'vlc', PROCESSOR_PORT: 'many', TITLE_FONT: '/nonexistent.ttf' },
          timeout: 30_000,
        },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PLAYER');
    expect(result.stderr).toContain('PROCESSOR_PORT');
  });
});
