// The station's control protocol message by message: a valid example of each parses
// to itself (nothing dropped, nothing renamed), and the bounds that guard the station
// refuse what lies beyond them.
import { describe, expect, it } from 'vitest';
import {
  apiFinishResponseSchema,
  buttonActionSchema,
  buttonSourceSchema,
  CLIENT_METHODS,
  CONTROL_PATH,
  clientRequestSchema,
  errorCodeSchema,
  finishResultSchema,
  frameRefSchema,
  LIVE_PATH,
  MAX_CONTROL_MESSAGE_BYTES,
  movieStateSchema,
  replyErrorSchema,
  replyOkSchema,
  STATION_PROTOCOL_VERSION,
  serverMessageSchema,
  snapshotSchema,
  stationEventSchema,
  stationStateSchema,
  uiSettingsSchema,
} from '../src/index.js';

const AT = '2026-11-25T10:00:00+02:00';
const frame = { file: '0000.jpg', hash: 'abcdef01' };
const movie = { id: 'M1', startedAt: AT, fps: 12, maxFrames: 300, frames: [frame] };
const camera = { state: 'ok', kind: 'test', message: 'fine', restarts: 2, width: 640, height: 480 };
const delivery = {
  target: 'rsync://h/in',
  pending: 1,
  sent: 3,
  lastSuccessAt: AT,
  lastError: 'refused',
  lastErrorAt: AT,
  nextAttemptAt: AT,
};
const disk = { freeBytes: 10, totalBytes: 20, full: false };
const buttons = { kind: 'gpiomon', state: 'failed', message: 'no line' };
const settings = {
  locale: 'he',
  idleMinutes: 5,
  idleAction: 'clear',
  titleEnabled: true,
  sound: false,
  onionOpacity: 0.5,
  galleryPublicUrl: 'https://films.example',
  claimSeconds: 60,
  designer: false,
  keys: { ' ': 'capture' },
};
const recent = { id: 'M0', finishedAt: AT, frameCount: 4, publish: 'public', posterFile: '0003.jpg' };
const state = { stationId: 'st-1', movie, camera, buttons, delivery, disk, settings, recent: [recent] };

const events: Array<[string, unknown]> = [
  ['frame.added', { movieId: 'M1', frame, frameCount: 1 }],
  ['frame.removed', { movieId: 'M1', file: '0000.jpg', frameCount: 0 }],
  ['movie.started', { movie }],
  ['movie.finished', { movieId: 'M1', publish: 'private', frameCount: 1, recent: [recent] }],
  ['movie.cleared', { movieId: 'M1' }],
  ['movie.limit', { movieId: 'M1', maxFrames: 300 }],
  ['capture.refused', { reason: 'limit', message: 'full' }],
  ['capture.refused', { reason: 'disk', message: 'full' }],
  ['capture.refused', { reason: 'camera', message: 'down' }],
  ['capture.refused', { reason: 'busy', message: 'wait' }],
  ['camera.status', camera],
  ['delivery.status', delivery],
  ['disk.status', disk],
  ['buttons.status', buttons],
  ['settings.changed', settings],
  ['button.pressed', { action: 'finish', source: 'touch' }],
];

const requests: Array<[string, unknown]> = [
  ['state.get', {}],
  ['movie.capture', {}],
  ['movie.undo', {}],
  ['movie.finish', { publish: 'public', title: 'Cat' }],
  ['movie.clear', {}],
  ['button.press', { action: 'undo', source: 'key' }],
  ['settings.set', { locale: 'ar', sound: true, onionOpacity: 0.25 }],
  ['ui.heartbeat', { at: 5 }],
  ['ui.log', { level: 'info', message: 'm', stack: 's' }],
  ['ui.log', { level: 'warn', message: 'm' }],
  ['ui.log', { level: 'error', message: 'm' }],
];

describe('constants', () => {
  it('paths, version and the message size limit', () => {
    expect([CONTROL_PATH, LIVE_PATH, STATION_PROTOCOL_VERSION, MAX_CONTROL_MESSAGE_BYTES]).toEqual(['/ws', '/live', 1, 65_536]);
  });
  it('buttons, sources, methods and error codes', () => {
    expect(buttonActionSchema.options).toEqual(['capture', 'undo', 'play', 'finish']);
    expect(buttonSourceSchema.options).toEqual(['gpio', 'sim', 'key', 'touch', 'api', 'gamepad']);
    expect(CLIENT_METHODS).toEqual([
      'state.get',
      'movie.capture',
      'movie.undo',
      'movie.finish',
      'movie.clear',
      'button.press',
      'settings.set',
      'ui.heartbeat',
      'ui.log',
    ]);
    expect(errorCodeSchema.options).toEqual([
      'bad_request',
      'too_large',
      'unknown_method',
      'limit_reached',
      'disk_full',
      'camera_unavailable',
      'no_frames',
      'busy',
      'internal',
    ]);
  });
});

describe('state', () => {
  it('a full snapshot parses to itself', () => {
    expect(stationStateSchema.parse(state)).toEqual(state);
    expect(snapshotSchema.parse({ type: 'snapshot', state })).toEqual({ type: 'snapshot', state });
    expect(serverMessageSchema.parse({ type: 'snapshot', state })).toEqual({ type: 'snapshot', state });
  });
  it.each(['starting', 'ok', 'restarting', 'failed', 'off'])('camera state %s', (s) => {
    expect(stationStateSchema.parse({ ...state, camera: { ...camera, state: s } }).camera.state).toBe(s);
  });
  it.each(['ok', 'failed', 'off'])('buttons state %s', (s) => {
    expect(stationStateSchema.parse({ ...state, buttons: { ...buttons, state: s } }).buttons.state).toBe(s);
  });
  it.each(['keep', 'clear'])('idle action %s', (a) => {
    expect(uiSettingsSchema.parse({ ...settings, idleAction: a }).idleAction).toBe(a);
  });
  it('frame hashes are 8–64 lowercase hex digits', () => {
    for (const hash of ['abcdef01', 'a'.repeat(64)]) expect(frameRefSchema.safeParse({ file: '0000.jpg', hash }).success).toBe(true);
    for (const hash of ['abcdef0', 'a'.repeat(65), 'xabcdef01', 'abcdef01x', 'ABCDEF01', ''])
      expect(frameRefSchema.safeParse({ file: '0000.jpg', hash }).success).toBe(false);
  });
  it('movie bounds', () => {
    const ok = (m: object) => movieStateSchema.safeParse({ ...movie, ...m }).success;
    expect([ok({ fps: 1 }), ok({ fps: 60 }), ok({ maxFrames: 1 }), ok({ maxFrames: 10_000 })]).toEqual([true, true, true, true]);
    expect([ok({ fps: 0 }), ok({ fps: 61 }), ok({ maxFrames: 0 }), ok({ startedAt: 'yesterday' })]).toEqual([false, false, false, false]);
  });
  it('onion opacity is 0..1', () => {
    const ok = (onionOpacity: number) => uiSettingsSchema.safeParse({ ...settings, onionOpacity }).success;
    expect([ok(0), ok(0.5), ok(1), ok(-0.01), ok(1.01)]).toEqual([true, true, true, false, false]);
  });
});

describe('events', () => {
  it.each(events)('%s parses to itself', (name, data) => {
    const msg = { type: 'event', name, data };
    expect(stationEventSchema.parse(msg)).toEqual(msg);
    expect(serverMessageSchema.parse(msg)).toEqual(msg);
  });
  it('an event needs its type, a known name and its data', () => {
    expect(stationEventSchema.safeParse({ type: 'evt', name: 'movie.cleared', data: { movieId: 'M1' } }).success).toBe(false);
    expect(stationEventSchema.safeParse({ type: 'event', name: 'movie.gone', data: { movieId: 'M1' } }).success).toBe(false);
    expect(stationEventSchema.safeParse({ type: 'event', name: 'movie.cleared', data: {} }).success).toBe(false);
    expect(stationEventSchema.safeParse({ type: 'event', name: 'capture.refused', data: { reason: 'other', message: '' } }).success).toBe(
      false,
    );
  });
});

describe('replies and results', () => {
  it('parse to themselves', () => {
    const ok = { type: 'reply', id: 7, ok: true, data: { frameCount: 1 } };
    const err = { type: 'reply', id: null, ok: false, error: { code: 'too_large', message: 'big' } };
    expect(replyOkSchema.parse(ok)).toEqual(ok);
    expect(replyErrorSchema.parse(err)).toEqual(err);
    expect(serverMessageSchema.parse(err)).toEqual(err);
    const hello = { type: 'hello', protocol: 1, serverStartId: 's', stationId: 'st-1' };
    expect(serverMessageSchema.parse(hello)).toEqual(hello);
    expect(apiFinishResponseSchema.parse({ movieId: 'M1' })).toEqual({ movieId: 'M1' });
    expect(apiFinishResponseSchema.safeParse({}).success).toBe(false);
  });
  it('finish results: owner key of 16–64 URL-safe characters, short code of 4–12', () => {
    const result = { movieId: 'M1', ownerKey: 'k'.repeat(16), shortCode: 'ABCD', claimUrl: null };
    expect(finishResultSchema.parse(result)).toEqual(result);
    const ok = (r: object) => finishResultSchema.safeParse({ ...result, ...r }).success;
    expect([ok({ ownerKey: 'k'.repeat(64) }), ok({ shortCode: 'A'.repeat(12) })]).toEqual([true, true]);
    expect([
      ok({ ownerKey: 'k'.repeat(15) }),
      ok({ ownerKey: 'k'.repeat(65) }),
      ok({ ownerKey: `.${'k'.repeat(16)}` }),
      ok({ ownerKey: `${'k'.repeat(16)}.` }),
      ok({ shortCode: 'ABC' }),
      ok({ shortCode: 'A'.repeat(13) }),
      ok({ movieId: undefined }),
    ]).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('requests', () => {
  it.each(requests)('%s parses to itself', (method, params) => {
    const msg = { type: 'request', id: 'r1', method, params };
    expect(clientRequestSchema.parse(msg)).toEqual(msg);
  });
  it('methods without parameters need none', () => {
    for (const method of ['state.get', 'movie.capture', 'movie.undo', 'movie.clear', 'ui.heartbeat'])
      expect(clientRequestSchema.safeParse({ type: 'request', id: 1, method }).success).toBe(true);
  });
  it('a request needs its type and a known method', () => {
    expect(clientRequestSchema.safeParse({ type: 'req', id: 1, method: 'state.get' }).success).toBe(false);
    expect(clientRequestSchema.safeParse({ type: 'request', id: 1, method: '' }).success).toBe(false);
  });
  it('settings.set takes only locale, sound and onion opacity, each optional', () => {
    const msg = (params: object) => ({ type: 'request', id: 1, method: 'settings.set', params });
    expect(clientRequestSchema.parse(msg({ sound: false }))).toEqual(msg({ sound: false }));
    expect(clientRequestSchema.parse(msg({ designer: true, locale: 'en' }))).toEqual(msg({ locale: 'en' }));
  });
  it('ui.log is bounded', () => {
    const log = (params: object) => clientRequestSchema.safeParse({ type: 'request', id: 1, method: 'ui.log', params }).success;
    expect(log({ level: 'info', message: 'm'.repeat(4000), stack: 's'.repeat(16_000) })).toBe(true);
    expect(log({ level: 'info', message: 'm'.repeat(4001) })).toBe(false);
    expect(log({ level: 'info', message: 'm', stack: 's'.repeat(16_001) })).toBe(false);
    expect(log({ level: 'debug', message: 'm' })).toBe(false);
  });
});
