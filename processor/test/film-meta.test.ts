import { filmMetaSchema } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { filmMeta } from '../src/film-meta.js';
import { type Job, newJob } from '../src/jobs.js';

const rendered: Job = {
  ...newJob('film1', new Date('2026-06-01T10:00:00Z')),
  state: 'uploading',
  publish: 'public',
  title: 'The cat',
  stationId: 'station-a',
  createdAt: '2026-06-01T09:58:00.000Z',
  fps: 12,
  frameCount: 24,
  width: 1280,
  height: 720,
  durationSec: 6,
  hasPreview: true,
  audio: true,
};

describe('filmMeta', () => {
  it('describes a rendered film with the values the render recorded', () => {
    const result = filmMeta(rendered);
    expect(result).toEqual({
      ok: true,
      meta: {
        id: 'film1',
        title: 'The cat',
        stationId: 'station-a',
        createdAt: '2026-06-01T09:58:00.000Z',
        durationSec: 6,
        fps: 12,
        frameCount: 24,
        width: 1280,
        height: 720,
        hasPreview: true,
        audio: true,
      },
    });
    if (result.ok) filmMetaSchema.parse(result.meta);
  });

  it.each(['stationId', 'createdAt', 'durationSec', 'fps', 'frameCount', 'width', 'height'] as const)(
    'refuses a record without %s instead of making one up',
    (field) => {
      const result = filmMeta({ ...rendered, [field]: null });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain(field);
    },
  );

  it.each([
    ['fps', { fps: 0 }],
    ['width', { width: 1 }],
    ['createdAt', { createdAt: 'yesterday' }],
  ] as const)('refuses a value meta.json cannot hold (%s), with the reason', (field, change) => {
    const result = filmMeta({ ...rendered, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(field);
  });
});
