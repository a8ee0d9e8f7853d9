import { describe, expect, it } from 'vitest';
import {
  flagAgrees,
  MAX_PACKAGE_FRAMES,
  manifestV1Schema,
  packageFromManifest,
  packageFromOriginalLayout,
  parseManifest,
  publishFromFlags,
} from '../src/index.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');

function validManifest(overrides: Record<string, unknown> = {}) {
  return {
    format: 'stop-motion-package',
    version: 1,
    id: '01JD2X3Y4Z5A6B7C8D9E0F1G2H',
    stationId: 'station-1',
    createdAt: '2026-11-25T08:00:00.000Z',
    finishedAt: '2026-11-25T08:05:00.000Z',
    fps: 10,
    width: 1280,
    height: 720,
    publish: 'public',
    title: 'הסרט שלי',
    locale: 'he',
    ownerKeyHash: sha(7),
    frames: [0, 1, 2].map((i) => ({ file: `000${i}.jpg`, sha256: sha(i) })),
    ...overrides,
  };
}

describe('manifest v1', () => {
  it('accepts a valid manifest and normalises it', () => {
    const parsed = parseManifest(JSON.stringify(validManifest()), '01JD2X3Y4Z5A6B7C8D9E0F1G2H');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const pkg = packageFromManifest(parsed.value);
    expect(pkg).toMatchObject({ layout: 'v1', publish: 'public', fps: 10, title: 'הסרט שלי', width: 1280 });
    expect(pkg.frames.map((f) => f.file)).toEqual(['0000.jpg', '0001.jpg', '0002.jpg']);
  });

  it('keeps hostile titles as plain data (rendering escapes them)', () => {
    const title = `<script>alert("x")</script> 'quotes' : \\ مرحبا 🎬`;
    const parsed = manifestV1Schema.safeParse(validManifest({ title }));
    expect(parsed.success && parsed.data.title).toBe(title);
  });

  it.each([
    ['wrong format', { format: 'zip' }],
    ['wrong version', { version: 2 }],
    ['version as string', { version: '1' }],
    ['path in id', { id: '../etc' }],
    ['absolute id', { id: '/etc/passwd' }],
    ['bad station id', { stationId: 'a/b' }],
    ['publish not an enum', { publish: 'yes' }],
    ['fps zero', { fps: 0 }],
    ['fps as string', { fps: '10' }],
    ['fractional width', { width: 12.5 }],
    ['huge height', { height: 100_000 }],
    ['bad date', { createdAt: 'yesterday' }],
    ['bad checksum', { frames: [{ file: '0000.jpg', sha256: 'abc' }] }],
    ['no frames', { frames: [] }],
    ['frame path trick', { frames: [{ file: '../0000.jpg', sha256: sha(0) }] }],
    ['frame absolute path', { frames: [{ file: '/etc/passwd', sha256: sha(0) }] }],
    ['frame traversal suffix', { frames: [{ file: '0001.jpg/../..', sha256: sha(0) }] }],
    ['frame NUL', { frames: [{ file: '0000.jpg\u0000', sha256: sha(0) }] }],
    [
      'gap in frames',
      {
        frames: [
          { file: '0000.jpg', sha256: sha(0) },
          { file: '0002.jpg', sha256: sha(2) },
        ],
      },
    ],
    [
      'frames out of order',
      {
        frames: [
          { file: '0001.jpg', sha256: sha(1) },
          { file: '0000.jpg', sha256: sha(0) },
        ],
      },
    ],
    ['locale unknown', { locale: 'fr' }],
    ['owner hash not hex', { ownerKeyHash: 'zz' }],
  ])('rejects %s', (_what, override) => {
    expect(manifestV1Schema.safeParse(validManifest(override)).success).toBe(false);
  });

  it(`rejects more than ${MAX_PACKAGE_FRAMES} frames claimed`, () => {
    const frames = Array.from({ length: 100_000 }, (_, i) => ({ file: `${String(i).padStart(4, '0')}.jpg`, sha256: sha(i) }));
    expect(manifestV1Schema.safeParse(validManifest({ frames })).success).toBe(false);
  });

  it('explains malformed JSON, a schema failure and an id that does not match its directory', () => {
    expect(parseManifest('{"format":')).toEqual({ ok: false, reason: expect.stringContaining('not valid JSON') });
    expect(parseManifest(JSON.stringify(validManifest({ fps: -1 })))).toEqual({ ok: false, reason: expect.stringContaining('fps') });
    expect(parseManifest(JSON.stringify(validManifest()), 'other-dir')).toEqual({
      ok: false,
      reason: expect.stringContaining('does not match'),
    });
    expect(parseManifest('null')).toMatchObject({ ok: false });
    expect(parseManifest('[]')).toMatchObject({ ok: false });
  });
});

describe('publish flag files', () => {
  it('reads exactly one flag', () => {
    expect(publishFromFlags(['PUBLISH', '0000.jpg'])).toEqual({ ok: true, publish: 'public' });
    expect(publishFromFlags(['NOPUBLISH'])).toEqual({ ok: true, publish: 'private' });
    expect(publishFromFlags(['PUBLISH', 'NOPUBLISH'])).toMatchObject({ ok: false });
    expect(publishFromFlags(['0000.jpg'])).toMatchObject({ ok: false });
  });

  it('checks the flag agrees with the manifest', () => {
    expect(flagAgrees({ publish: 'public' }, ['PUBLISH'])).toEqual({ ok: true });
    expect(flagAgrees({ publish: 'private' }, ['NOPUBLISH'])).toEqual({ ok: true });
    expect(flagAgrees({ publish: 'public' }, ['NOPUBLISH'])).toEqual({ ok: false, reason: expect.stringContaining('NOPUBLISH') });
    expect(flagAgrees({ publish: 'private' }, ['PUBLISH'])).toMatchObject({ ok: false });
  });
});

describe('original layout', () => {
  it('normalises frames + flag into the same package value', () => {
    const result = packageFromOriginalLayout({ dirName: 'movie42', fileNames: ['0001.jpg', '0000.jpg', 'NOPUBLISH', 'DONE'] });
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        layout: 'original',
        id: 'movie42',
        publish: 'private',
        fps: 10,
        width: null,
        frames: [
          { file: '0000.jpg', sha256: null },
          { file: '0001.jpg', sha256: null },
        ],
      }),
    });
  });

  it.each([
    ['a path as directory name', { dirName: '..', fileNames: ['0000.jpg', 'PUBLISH'] }],
    ['no flag', { dirName: 'm1', fileNames: ['0000.jpg'] }],
    ['both flags', { dirName: 'm1', fileNames: ['0000.jpg', 'PUBLISH', 'NOPUBLISH'] }],
    ['no frames', { dirName: 'm1', fileNames: ['PUBLISH'] }],
    ['a gap', { dirName: 'm1', fileNames: ['0000.jpg', '0002.jpg', 'PUBLISH'] }],
    ['a stranger file', { dirName: 'm1', fileNames: ['0000.jpg', 'evil.sh', 'PUBLISH'] }],
  ])('rejects %s', (_what, input) => {
    expect(packageFromOriginalLayout(input).ok).toBe(false);
  });
});
