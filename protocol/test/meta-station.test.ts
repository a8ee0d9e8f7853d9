import { describe, expect, it } from 'vitest';
import {
  CLIENT_METHODS,
  clientRequestSchema,
  filmMetaSchema,
  filmNoticeSchema,
  movieIdFromMetaKey,
  movieKeys,
  STATION_PROTOCOL_VERSION,
  serverMessageSchema,
  stationEventSchema,
} from '../src/index.js';

const meta = {
  id: '01JD2X3Y4Z5A6B7C8D9E0F1G2H',
  title: 'My film',
  stationId: 'station-1',
  createdAt: '2026-11-25T08:00:00.000Z',
  durationSec: 9.2,
  fps: 10,
  frameCount: 52,
  width: 1280,
  height: 720,
};

describe('S3 meta.json', () => {
  it('accepts a film and the optional fields', () => {
    expect(filmMetaSchema.safeParse(meta).success).toBe(true);
    expect(filmMetaSchema.safeParse({ ...meta, title: null, hidden: true, ownerKeyHash: 'a'.repeat(64) }).success).toBe(true);
  });

  it.each([
    ['id with a path', { id: '../../x' }],
    ['negative duration', { durationSec: -1 }],
    ['zero frames', { frameCount: 0 }],
    ['width as string', { width: '1280' }],
    ['hidden as string', { hidden: 'yes' }],
    ['missing station', { stationId: undefined }],
  ])('rejects %s', (_what, override) => {
    expect(filmMetaSchema.safeParse({ ...meta, ...override }).success).toBe(false);
  });

  it('maps ids to keys and back, refusing keys that are not a film meta', () => {
    expect(movieKeys('abc').meta).toBe('movies/abc/meta.json');
    expect(movieIdFromMetaKey('movies/abc/meta.json')).toBe('abc');
    expect(movieIdFromMetaKey('movies/abc/movie.mp4')).toBeNull();
    expect(movieIdFromMetaKey('movies/../meta.json')).toBeNull();
    expect(movieIdFromMetaKey('movies/a/b/meta.json')).toBeNull();
  });

  it('validates film notices', () => {
    expect(filmNoticeSchema.safeParse({ type: 'film.added', id: 'abc' }).success).toBe(true);
    expect(filmNoticeSchema.safeParse({ type: 'film.deleted', id: 'abc' }).success).toBe(false);
    expect(filmNoticeSchema.safeParse({ type: 'film.added', id: 'a/b' }).success).toBe(false);
  });
});

describe('station messages', () => {
  it('parses hello, events and replies', () => {
    expect(
      serverMessageSchema.parse({ type: 'hello', protocol: STATION_PROTOCOL_VERSION, serverStartId: 's1', stationId: 'st' }),
    ).toMatchObject({
      type: 'hello',
    });
    const ev = stationEventSchema.parse({ type: 'event', name: 'button.pressed', data: { action: 'capture', source: 'gpio' } });
    expect(ev.name).toBe('button.pressed');
    expect(serverMessageSchema.safeParse({ type: 'reply', id: 3, ok: true, data: { frameCount: 1 } }).success).toBe(true);
    expect(
      serverMessageSchema.safeParse({ type: 'reply', id: null, ok: false, error: { code: 'bad_request', message: 'not JSON' } }).success,
    ).toBe(true);
  });

  it('rejects unknown events and error codes', () => {
    expect(stationEventSchema.safeParse({ type: 'event', name: 'frame.exploded', data: {} }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: 'reply', id: 1, ok: false, error: { code: 'oops', message: '' } }).success).toBe(false);
  });

  it('parses every request method and rejects bad params', () => {
    expect(CLIENT_METHODS).toContain('movie.finish');
    expect(clientRequestSchema.safeParse({ type: 'request', id: 'r1', method: 'movie.capture' }).success).toBe(true);
    expect(clientRequestSchema.safeParse({ type: 'request', id: 2, method: 'movie.finish', params: { publish: 'private' } }).success).toBe(
      true,
    );
    expect(clientRequestSchema.safeParse({ type: 'request', id: 2, method: 'movie.finish', params: { publish: 'everyone' } }).success).toBe(
      false,
    );
    expect(clientRequestSchema.safeParse({ type: 'request', id: 2, method: 'movie.finish', params: {} }).success).toBe(false);
    expect(clientRequestSchema.safeParse({ type: 'request', id: 'x', method: 'system.exec', params: {} }).success).toBe(false);
    expect(clientRequestSchema.safeParse({ type: 'request', method: 'movie.capture' }).success).toBe(false);
    expect(clientRequestSchema.safeParse({ type: 'request', id: 'y'.repeat(100), method: 'movie.capture' }).success).toBe(false);
    expect(
      clientRequestSchema.safeParse({ type: 'request', id: 1, method: 'button.press', params: { action: 'selfdestruct', source: 'key' } })
        .success,
    ).toBe(false);
  });
});
