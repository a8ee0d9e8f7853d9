import { STATION_PROTOCOL_VERSION } from '@stop-motion/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConnectionStatus, RequestError, type SocketLike, StationClient } from '../src/shared/connection/client.js';
import { station } from './fixtures.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  sent: Array<{ id: number; method: string; params: unknown }> = [];
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
    this.onclose?.({});
  }
  // server side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(msg: unknown) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  hello(serverStartId = 'start-1') {
    this.open();
    this.deliver({ type: 'hello', protocol: STATION_PROTOCOL_VERSION, serverStartId, stationId: 'st1' });
    this.deliver({ type: 'snapshot', state: station() });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
}

function setup(over: Partial<ConstructorParameters<typeof StationClient>[0]> = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const events: unknown[] = [];
  const invalid: string[] = [];
  const restarts: string[] = [];
  const snapshots: unknown[] = [];
  const client = new StationClient({
    url: 'ws://station/ws',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    random: () => 0.5,
    heartbeatMs: 5000,
    requestTimeoutMs: 1000,
    onStatus: (s) => statuses.push(s),
    onEvent: (e) => events.push(e),
    onSnapshot: (s) => snapshots.push(s),
    onInvalid: (r) => invalid.push(r),
    onServerRestart: (h) => restarts.push(h.serverStartId),
    ...over,
  });
  const last = () => {
    const s = sockets.at(-1);
    if (!s) throw new Error('no socket');
    return s;
  };
  return { client, sockets, statuses, events, invalid, restarts, snapshots, last };
}

describe('StationClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hello → snapshot → events; status goes connecting → open', () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    t.last().deliver({ type: 'event', name: 'disk.status', data: { freeBytes: 1, totalBytes: 2, full: false } });
    expect(t.statuses).toEqual(['connecting', 'open']);
    expect(t.snapshots).toHaveLength(1);
    expect(t.events).toHaveLength(1);
    t.client.stop();
  });

  it('typed requests resolve with the reply data and reject with the error code', async () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    const undo = t.client.request('movie.undo');
    const finish = t.client.request('movie.finish', { publish: 'public' });
    const [a, b] = t.last().sent.filter((m) => m.method !== 'ui.heartbeat');
    expect(a?.method).toBe('movie.undo');
    expect(b).toMatchObject({ method: 'movie.finish', params: { publish: 'public' } });
    t.last().deliver({ type: 'reply', id: a?.id, ok: true, data: { frameCount: 4 } });
    t.last().deliver({ type: 'reply', id: b?.id, ok: false, error: { code: 'no_frames', message: 'nothing to finish' } });
    await expect(undo).resolves.toEqual({ frameCount: 4 });
    await expect(finish).rejects.toMatchObject({ code: 'no_frames' });
    const beat = t.last().sent.find((m) => m.method === 'ui.heartbeat');
    t.last().deliver({ type: 'reply', id: beat?.id, ok: true, data: {} });
    expect(t.client.pendingCount).toBe(0);
    t.client.stop();
  });

  it("a reply that does not fit its method's schema is refused, not passed on", async () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    const undo = t.client.request('movie.undo');
    const capture = t.client.request('movie.capture');
    const [a, b] = t.last().sent.filter((m) => m.method !== 'ui.heartbeat');
    t.last().deliver({ type: 'reply', id: a?.id, ok: true, data: { frameCount: 'four' } });
    t.last().deliver({ type: 'reply', id: b?.id, ok: true, data: { frameCount: 2 } });
    await expect(undo).rejects.toMatchObject({ code: 'invalid_reply', message: 'movie.undo: the reply did not validate' });
    await expect(capture).rejects.toMatchObject({ code: 'invalid_reply' });
    expect(t.client.pendingCount).toBe(1);
    t.client.stop();
  });

  it('times out a request without a reply and forgets it', async () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    const p = t.client.request('movie.capture');
    const check = expect(p).rejects.toMatchObject({ code: 'timeout' });
    vi.advanceTimersByTime(1001);
    await check;
    expect(t.client.pendingCount).toBe(0); // the heartbeat timed out too
    t.client.stop();
  });

  it('refuses requests while offline instead of queueing them', async () => {
    const t = setup();
    t.client.start();
    await expect(t.client.request('movie.capture')).rejects.toBeInstanceOf(RequestError);
    t.client.stop();
  });

  it('rejects pending requests when the connection drops, then reconnects with backoff forever', async () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    const p = t.client.request('movie.capture');
    const check = expect(p).rejects.toMatchObject({ code: 'disconnected' });
    t.last().drop();
    await check;
    expect(t.client.pendingCount).toBe(0);
    // 50 failed attempts in a row: it keeps trying, at most maxMs apart.
    for (let i = 0; i < 50; i++) {
      const before = t.sockets.length;
      vi.advanceTimersByTime(5000);
      expect(t.sockets.length).toBe(before + 1);
      t.last().drop();
    }
    vi.advanceTimersByTime(5000);
    t.last().hello();
    expect(t.statuses.at(-1)).toBe('open');
    expect(t.snapshots).toHaveLength(2); // the snapshot is read again after the reconnect
    t.client.stop();
  });

  it('asks for a reload when the server restarted (serverStartId changed), not on a plain reconnect', () => {
    const t = setup();
    t.client.start();
    t.last().hello('a');
    t.last().drop();
    vi.advanceTimersByTime(5000);
    t.last().hello('a');
    expect(t.restarts).toEqual([]);
    t.last().drop();
    vi.advanceTimersByTime(5000);
    t.last().hello('b');
    expect(t.restarts).toEqual(['b']);
    t.client.stop();
  });

  it('sends ui.heartbeat on connect and every heartbeatMs', () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    vi.advanceTimersByTime(15_000);
    expect(t.last().sent.filter((m) => m.method === 'ui.heartbeat')).toHaveLength(4);
    t.client.stop();
  });

  it('invalid messages are reported and never throw; an invalid reply still releases its request', async () => {
    const t = setup();
    t.client.start();
    t.last().hello();
    t.last().deliver('not json');
    t.last().deliver({ type: 'event', name: 'frame.added', data: { movieId: '../x' } });
    const p = t.client.request('movie.undo');
    const id = t.last().sent.at(-1)?.id;
    t.last().deliver({ type: 'reply', id, ok: 'yes' });
    await expect(p).rejects.toMatchObject({ code: 'invalid_reply' });
    expect(t.invalid.length).toBe(3);
    expect(t.events).toHaveLength(0);
    t.client.stop();
  });
});
