import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocketServer } from 'ws';
import type { CameraSupervisor, Frame } from '../src/camera/supervisor.js';
import { attachLive } from '../src/server/live.js';

/** A socket whose writes complete only when the test says so: a client that reads slowly. */
class SlowSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  private callbacks: Array<() => void> = [];
  send(data: Buffer, _opts: unknown, cb: () => void): void {
    this.sent.push(data.toString());
    this.callbacks.push(cb);
  }
  inFlight(): number {
    return this.callbacks.length;
  }
  drainOne(): void {
    this.callbacks.shift()?.();
  }
}

const frame = (seq: number): Frame => ({ data: Buffer.from(`frame-${seq}`), at: seq, seq });

describe('live view fan-out', () => {
  it('keeps at most one frame in flight per client and sends the newest when it drains', () => {
    const camera = Object.assign(new EventEmitter(), { latest: frame(0) }) as unknown as CameraSupervisor;
    const wss = new EventEmitter() as unknown as WebSocketServer;
    attachLive(wss, camera, pino({ level: 'silent' }));
    const slow = new SlowSocket();
    const fast = new SlowSocket();
    wss.emit('connection', slow);
    wss.emit('connection', fast);
    expect(slow.sent).toEqual(['frame-0']); // the newest frame right away

    for (let i = 1; i <= 100; i++) {
      camera.emit('frame', frame(i));
      fast.drainOne(); // this one keeps up
    }
    expect(slow.inFlight()).toBe(1);
    expect(slow.sent).toEqual(['frame-0']);
    expect(fast.sent.length).toBe(101);

    slow.drainOne();
    expect(slow.sent).toEqual(['frame-0', 'frame-100']); // skipped straight to the latest
    camera.emit('frame', frame(101));
    camera.emit('frame', frame(102));
    slow.drainOne();
    expect(slow.sent).toEqual(['frame-0', 'frame-100', 'frame-102']);
  });

  it('holds back while the socket buffer is full', () => {
    const camera = Object.assign(new EventEmitter(), { latest: undefined }) as unknown as CameraSupervisor;
    const wss = new EventEmitter() as unknown as WebSocketServer;
    attachLive(wss, camera, pino({ level: 'silent' }));
    const ws = new SlowSocket();
    wss.emit('connection', ws);
    ws.bufferedAmount = 10 * 1024 * 1024;
    for (let i = 1; i <= 10; i++) camera.emit('frame', frame(i));
    expect(ws.sent).toEqual([]);
    ws.bufferedAmount = 0;
    camera.emit('frame', frame(11));
    expect(ws.sent).toEqual(['frame-11']);
  });
});
