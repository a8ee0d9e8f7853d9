// What a package is: its manifest (or the original layout), its flag files, and the
// one-line reasons the processor logs and writes next to a refused package.
import { describe, expect, it } from 'vitest';
import {
  DONE_FILE,
  flagAgrees,
  flagForPublish,
  localeSchema,
  MANIFEST_FILE,
  MAX_PACKAGE_FRAMES,
  manifestV1Schema,
  NOPUBLISH_FILE,
  PUBLISH_FILE,
  packageFromManifest,
  packageFromOriginalLayout,
  parseManifest,
  publishFromFlags,
  titleSchema,
} from '../src/index.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');
const ID = '01JD2X3Y4Z5A6B7C8D9E0F1G2H';
const frames = (files: string[]) => files.map((file, i) => ({ file, sha256: sha(i) }));

function manifest(overrides: Record<string, unknown> = {}) {
  return {
    format: 'stop-motion-package',
    version: 1,
    id: ID,
    stationId: 'station-1',
    createdAt: '2026-11-25T10:00:00+02:00',
    finishedAt: '2026-11-25T08:05:00.000Z',
    fps: 10,
    width: 640,
    height: 480,
    publish: 'private',
    frames: frames(['0000.jpg', '0001.jpg']),
    ...overrides,
  };
}
const reasonOf = (m: unknown, dir?: string) => {
  const r = parseManifest(JSON.stringify(m), dir);
  return r.ok ? null : r.reason;
};

describe('file names', () => {
  it('are the ones stations write', () => {
    expect([MANIFEST_FILE, DONE_FILE, PUBLISH_FILE, NOPUBLISH_FILE]).toEqual(['manifest.json', 'DONE', 'PUBLISH', 'NOPUBLISH']);
  });
});

describe('titles and locales', () => {
  it('a title is trimmed; its limits are explained', () => {
    expect(titleSchema.parse('  Cat  ')).toBe('Cat');
    expect(titleSchema.safeParse('x'.repeat(121)).error?.issues[0]?.message).toBe('title is longer than 120 characters');
    expect(titleSchema.safeParse('a\nb').error?.issues[0]?.message).toBe('title contains control characters');
  });
  it('the three festival languages', () => {
    expect(localeSchema.options).toEqual(['en', 'he', 'ar']);
    for (const l of ['en', 'he', 'ar']) expect(localeSchema.safeParse(l).success).toBe(true);
  });
});

describe('manifest v1 reasons', () => {
  it('accepts offsets in times and needs no directory name', () => {
    const r = parseManifest(JSON.stringify(manifest()));
    expect(r.ok).toBe(true);
  });
  it('frames out of sequence: one custom issue for the list', () => {
    const r = manifestV1Schema.safeParse(manifest({ frames: frames(['0001.jpg']) }));
    expect(r.error?.issues.map((i) => [i.code, i.path])).toEqual([['custom', ['frames']]]);
    expect(reasonOf(manifest({ frames: frames(['0000.jpg', '0002.jpg']) }))).toBe(
      'manifest.json is invalid: frames: frames are not contiguous: 0001.jpg is missing',
    );
  });
  it('frames out of order: one reason per misplaced entry', () => {
    const r = manifestV1Schema.safeParse(manifest({ frames: frames(['0001.jpg', '0000.jpg']) }));
    expect(r.error?.issues.map((i) => [i.code, i.path, i.message])).toEqual([
      ['custom', ['frames', 0, 'file'], 'frames must be listed in order: expected 0000.jpg'],
      ['custom', ['frames', 1, 'file'], 'frames must be listed in order: expected 0001.jpg'],
    ]);
  });
  it('names what is wrong with a frame entry and an empty list', () => {
    expect(reasonOf(manifest({ frames: [{ file: '1.jpg', sha256: sha(0) }] }))).toBe(
      'manifest.json is invalid: frames.0.file: frame file must be like 0000.jpg; frames: not a frame file name: "1.jpg"',
    );
    expect(reasonOf(manifest({ frames: [] }))).toBe('manifest.json is invalid: frames: a package needs at least one frame');
  });
  it('at most five issues, separated by semicolons; (root) for the whole document', () => {
    const reason = reasonOf({}) ?? '';
    expect(reason.startsWith('manifest.json is invalid: format: ')).toBe(true);
    expect(reason.split('; ')).toHaveLength(5);
    expect(reasonOf([])).toMatch(/^manifest\.json is invalid: \(root\): /);
  });
  it('the directory must match the id; a long name is cut in the reason', () => {
    expect(reasonOf(manifest(), ID)).toBeNull();
    const dir = 'd'.repeat(100);
    expect(reasonOf(manifest(), dir)).toBe(`manifest id ${ID} does not match directory "${'d'.repeat(80)}"`);
  });
});

describe('flags', () => {
  it('the flag file for each choice', () => {
    expect(flagForPublish('public')).toBe('PUBLISH');
    expect(flagForPublish('private')).toBe('NOPUBLISH');
  });
  it('exactly one flag', () => {
    expect(publishFromFlags(['PUBLISH', 'NOPUBLISH'])).toEqual({ ok: false, reason: 'both PUBLISH and NOPUBLISH are present' });
    expect(publishFromFlags(['DONE'])).toEqual({ ok: false, reason: 'neither PUBLISH nor NOPUBLISH is present' });
    expect(publishFromFlags(['NOPUBLISH'])).toEqual({ ok: true, publish: 'private' });
  });
  it('a missing flag is the reason, not a disagreement', () => {
    expect(flagAgrees({ publish: 'public' }, [])).toEqual({ ok: false, reason: 'neither PUBLISH nor NOPUBLISH is present' });
    expect(flagAgrees({ publish: 'private' }, ['PUBLISH'])).toEqual({
      ok: false,
      reason: 'manifest says "private" but the flag file is PUBLISH',
    });
  });
});

describe('packageFromManifest', () => {
  it('absent or empty optional fields become null', () => {
    const pkg = packageFromManifest(manifestV1Schema.parse(manifest({ title: '' })));
    expect([pkg.title, pkg.locale, pkg.ownerKeyHash]).toEqual([null, null, null]);
    expect(packageFromManifest(manifestV1Schema.parse(manifest())).title).toBeNull();
  });
  it('present ones are kept', () => {
    const pkg = packageFromManifest(manifestV1Schema.parse(manifest({ title: 'A', locale: 'ar', ownerKeyHash: sha(9) })));
    expect([pkg.title, pkg.locale, pkg.ownerKeyHash]).toEqual(['A', 'ar', sha(9)]);
  });
});

describe('the original layout', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(4, '0')}.jpg`);
  it('flags and DONE are not frames', () => {
    for (const flag of ['PUBLISH', 'NOPUBLISH']) {
      const r = packageFromOriginalLayout({ dirName: 'A1', fileNames: [flag, 'DONE', ...names(2)] });
      expect(r.ok && r.value.frames.map((f) => f.file)).toEqual(['0000.jpg', '0001.jpg']);
    }
  });
  it('reasons', () => {
    expect(packageFromOriginalLayout({ dirName: 'A1', fileNames: ['PUBLISH', 'DONE'] })).toEqual({
      ok: false,
      reason: 'the package has no frames',
    });
    const bad = packageFromOriginalLayout({ dirName: '../x', fileNames: ['PUBLISH', ...names(1)] });
    expect(bad.ok ? '' : bad.reason).toMatch(/^package directory name is not a valid id: \(root\): id must be/);
    expect(packageFromOriginalLayout({ dirName: 'A1', fileNames: ['PUBLISH', ...names(1)], stationId: '../s' })).toEqual({
      ok: false,
      reason: 'station id is not valid',
    });
  });
  it('at most MAX_PACKAGE_FRAMES frames', () => {
    expect(packageFromOriginalLayout({ dirName: 'A1', fileNames: ['PUBLISH', ...names(MAX_PACKAGE_FRAMES)] }).ok).toBe(true);
    expect(packageFromOriginalLayout({ dirName: 'A1', fileNames: ['PUBLISH', ...names(MAX_PACKAGE_FRAMES + 1)] })).toEqual({
      ok: false,
      reason: 'the package has 10001 frames, more than 10000',
    });
  });
});
