import type { StationState } from '@stop-motion/protocol';

export const MOVIE = '01JABCDEFGHJKMNPQRSTVWXYZ0';
export const frame = (i: number) => ({ file: `${String(i).padStart(4, '0')}.jpg`, hash: `abcdef${String(i).padStart(2, '0')}` });

export function station(frames = 2, settings: Partial<StationState['settings']> = {}): StationState {
  return {
    stationId: 'st1',
    movie: {
      id: MOVIE,
      startedAt: '2026-01-01T00:00:00Z',
      fps: 10,
      maxFrames: 300,
      frames: Array.from({ length: frames }, (_, i) => frame(i)),
    },
    camera: { state: 'ok', kind: 'test', restarts: 0 },
    buttons: { kind: 'sim', state: 'ok' },
    delivery: { target: null, pending: 0, sent: 0, lastSuccessAt: null, lastError: null, lastErrorAt: null, nextAttemptAt: null },
    disk: { freeBytes: 1e9, totalBytes: 2e9, full: false },
    settings: {
      locale: 'en',
      idleMinutes: 3,
      idleAction: 'keep',
      titleEnabled: false,
      sound: false,
      onionOpacity: 0.35,
      galleryPublicUrl: null,
      claimSeconds: 60,
      designer: false,
      ...settings,
    },
    recent: [],
  };
}
