import {
  CLIENT_METHODS,
  type ClientRequest,
  type ClientResults,
  clientRequestSchema,
  type ErrorCode,
  MAX_CONTROL_MESSAGE_BYTES,
  requestIdSchema,
  type ServerMessage,
  STATION_PROTOCOL_VERSION,
} from '@stop-motion/protocol';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import { type Station, StationError } from '../station.js';

/** A control client that stops reading gets cut off instead of growing a queue. */
const MAX_CONTROL_BUFFER = 4 * 1024 * 1024;

type RequestId = string | number | null;

/** Best effort: the id of a message too broken to validate, for the error reply. */
function salvageId(value: unknown): RequestId {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const id = requestIdSchema.safeParse((value as { id: unknown }).id);
  return id.success ? id.data : null;
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return (data as Buffer | ArrayBuffer).byteLength;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** The control socket: hello → snapshot → events, and requests with replies. */
export function attachControl(wss: WebSocketServer, station: Station, options: { serverStartId: string; log: Logger }): () => void {
  const log = options.log;
  const sendText = (ws: WebSocket, text: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_CONTROL_BUFFER) {
      log.warn({ event: 'ws.slow_client' }, 'control client not reading; closing it');
      ws.terminate();
      return;
    }
    ws.send(text);
  };
  const send = (ws: WebSocket, message: ServerMessage) => sendText(ws, JSON.stringify(message));
  const fail = (ws: WebSocket, id: RequestId, code: ErrorCode, message: string) =>
    send(ws, { type: 'reply', id, ok: false, error: { code, message } });

  const onEvent = (event: ServerMessage) => {
    const text = JSON.stringify(event);
    for (const ws of wss.clients) sendText(ws, text);
  };
  station.on('event', onEvent);

  async function dispatch(req: ClientRequest): Promise<ClientResults[keyof ClientResults]> {
    switch (req.method) {
      case 'state.get':
        return station.snapshot();
      case 'movie.capture':
        return station.capture();
      case 'movie.undo':
        return station.undo();
      case 'movie.finish':
        return station.finish(req.params);
      case 'movie.clear':
        return station.clear();
      case 'button.press':
        station.press(req.params.action, req.params.source);
        return {};
      case 'settings.set':
        return station.setSettings(req.params);
      case 'ui.heartbeat':
        station.heartbeat();
        return {};
      case 'ui.log': {
        const level = req.params.level;
        log[level]({ event: 'ui.log', message: req.params.message, stack: req.params.stack }, 'station UI says');
        return {};
      }
    }
  }

  wss.on('connection', (ws) => {
    log.debug({ event: 'ws.connected', clients: wss.clients.size }, 'control client connected');
    send(ws, {
      type: 'hello',
      protocol: STATION_PROTOCOL_VERSION,
      serverStartId: options.serverStartId,
      stationId: station.snapshot().stationId,
    });
    send(ws, { type: 'snapshot', state: station.snapshot() });
    ws.on('error', (err) => log.debug({ event: 'ws.error', err: err.message }, 'control socket error'));
    ws.on('message', (data, isBinary) => {
      try {
        if (rawLength(data) > MAX_CONTROL_MESSAGE_BYTES) {
          log.warn({ event: 'ws.too_large', bytes: rawLength(data) }, 'control message too large');
          fail(ws, null, 'too_large', `messages are limited to ${MAX_CONTROL_MESSAGE_BYTES} bytes`);
          return;
        }
        if (isBinary) {
          log.warn({ event: 'ws.bad_message', reason: 'binary' }, 'binary message on the control socket');
          fail(ws, null, 'bad_request', 'the control socket takes JSON text');
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(rawText(data));
        } catch {
          log.warn({ event: 'ws.bad_message', reason: 'json' }, 'control message is not JSON');
          fail(ws, null, 'bad_request', 'message is not valid JSON');
          return;
        }
        const parsed = clientRequestSchema.safeParse(json);
        if (!parsed.success) {
          const id = salvageId(json);
          const method = (json as { method?: unknown } | null)?.method;
          const known = typeof method === 'string' && (CLIENT_METHODS as readonly string[]).includes(method);
          const message = parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`)
            .join('; ');
          log.warn(
            { event: 'ws.bad_message', reason: known ? 'invalid' : 'method', method: String(method).slice(0, 40) },
            'invalid control message',
          );
          if (typeof method === 'string' && !known && (json as { type?: unknown }).type === 'request')
            fail(ws, id, 'unknown_method', `unknown method ${JSON.stringify(method.slice(0, 40))}`);
          else fail(ws, id, 'bad_request', message);
          return;
        }
        const req = parsed.data;
        dispatch(req).then(
          (data) => send(ws, { type: 'reply', id: req.id, ok: true, data }),
          (err: unknown) => {
            if (err instanceof StationError) fail(ws, req.id, err.code, err.message);
            else {
              log.error({ event: 'ws.request_failed', method: req.method, err: (err as Error).message }, 'request failed');
              fail(ws, req.id, 'internal', 'internal error');
            }
          },
        );
      } catch (err) {
        log.error({ event: 'ws.handler_error', err: (err as Error).message }, 'control message handler failed');
      }
    });
  });

  return () => {
    station.off('event', onEvent);
  };
}
