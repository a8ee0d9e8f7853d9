import type { WebSocket, WebSocketServer } from 'ws';
import type { CameraSupervisor, Frame } from '../camera/supervisor.js';
import type { Logger } from '../log.js';

interface LiveClient {
  sending: boolean;
  pending: Frame | undefined;
}

/** More than this unsent means the client is behind: it gets the newest frame later, not a queue. */
const MAX_BUFFERED = 512 * 1024;

/**
 * Live view: each camera frame is sent as one binary message, latest-frame-wins.
 * At most one frame per client is on its way; while it is, newer frames replace
 * the one waiting, so a slow client sees fewer frames and memory stays flat.
 */
export function attachLive(wss: WebSocketServer, camera: CameraSupervisor, log: Logger): () => void {
  const clients = new Map<WebSocket, LiveClient>();

  const sendTo = (ws: WebSocket, state: LiveClient, frame: Frame) => {
    if (ws.readyState !== ws.OPEN) return;
    if (state.sending || ws.bufferedAmount > MAX_BUFFERED) {
      state.pending = frame;
      return;
    }
    state.sending = true;
    state.pending = undefined;
    ws.send(frame.data, { binary: true }, () => {
      state.sending = false;
      const next = state.pending;
      if (next && ws.readyState === ws.OPEN) {
        state.pending = undefined;
        // Let the socket drain before the next frame when it is behind.
        if (ws.bufferedAmount > MAX_BUFFERED) setTimeout(() => sendTo(ws, state, next), 20);
        else sendTo(ws, state, next);
      }
    });
  };

  const onFrame = (frame: Frame) => {
    for (const [ws, state] of clients) sendTo(ws, state, frame);
  };
  camera.on('frame', onFrame);

  wss.on('connection', (ws) => {
    const state: LiveClient = { sending: false, pending: undefined };
    clients.set(ws, state);
    log.debug({ event: 'live.connected', clients: clients.size }, 'live client connected');
    const latest = camera.latest;
    if (latest) sendTo(ws, state, latest);
    ws.on('message', () => undefined);
    ws.on('error', () => undefined);
    ws.on('close', () => clients.delete(ws));
  });

  return () => {
    camera.off('frame', onFrame);
    clients.clear();
  };
}
