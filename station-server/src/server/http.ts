// Just over 300 lines: the station's loopback HTTP routes and the Host/Origin guard in front
// of them, read as one list of what the server answers.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import fastifyStatic from '@fastify/static';
import {
  HttpError,
  hostsOfOrigins,
  httpClientErrorHandler,
  isAllowedHost,
  isAllowedOrigin,
  type OriginRules,
  serveMetrics,
  useHttpErrors,
} from '@stop-motion/kit';
import {
  apiFinishBodySchema,
  buttonActionSchema,
  CONTROL_PATH,
  type ErrorCode,
  httpErrorCodeFor,
  LIVE_PATH,
  MAX_CONTROL_MESSAGE_BYTES,
} from '@stop-motion/protocol';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { SimButtons } from '../buttons/source.js';
import type { CameraSupervisor } from '../camera/supervisor.js';
import type { StationConfig } from '../config.js';
import type { Logger } from '../log.js';
import { type Station, StationError } from '../station.js';
import type { MovieStore } from '../store/movie-store.js';
import type { Thumbnailer } from '../thumbnails.js';
import { TrackLibrary } from '../tracks.js';
import { attachControl } from './control.js';
import { attachLive } from './live.js';

const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  too_large: 413,
  unknown_method: 404,
  limit_reached: 409,
  disk_full: 507,
  camera_unavailable: 503,
  no_frames: 409,
  busy: 409,
  internal: 500,
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stop Motion Station</title>
<style>body{font-family:sans-serif;background:#222;color:#eee;display:grid;place-items:center;height:100vh;margin:0}</style>
</head><body><main><h1>The station UI is not built</h1>
<p>The station server is running. Build the UI (<code>npm run build -w @stop-motion/station-ui</code>) or set STATION_UI_DIR.</p>
<p><a style="color:#9cf" href="/api/state">/api/state</a></p></main></body></html>
`;

export interface HttpDeps {
  config: StationConfig;
  station: Station;
  store: MovieStore;
  camera: CameraSupervisor;
  thumbnails: Thumbnailer;
  tracks: TrackLibrary;
  sim: SimButtons | undefined;
  serverStartId: string;
  log: Logger;
  /** Served at /metrics (loopback, behind the Host check like every route). */
  metrics?: { registry: Registry };
}

export interface HttpServer {
  app: Pick<FastifyInstance, 'inject' | 'server'>;
  url: string;
  close(): Promise<void>;
}

/** A station refusal over HTTP: the code its status has, the station's own word as the reason. */
function stationRefusal(err: unknown): HttpError | undefined {
  if (!(err instanceof StationError)) return undefined;
  const status = HTTP_STATUS[err.code];
  const code = httpErrorCodeFor(status);
  return new HttpError(status, code, err.message, code === err.code ? undefined : err.code);
}

/** HTTP routes, the WebSocket upgrades and the built UI. */
export async function startHttp(deps: HttpDeps): Promise<HttpServer> {
  const { config, station, store, log } = deps;
  const app = Fastify({ logger: false, bodyLimit: MAX_CONTROL_MESSAGE_BYTES, clientErrorHandler: httpClientErrorHandler });
  const errors = useHttpErrors(app, { log, translate: stationRefusal });
  // Pages of an allowed origin (a designer's dev server) are proxied here under their own name.
  const rules: OriginRules = {
    host: config.host,
    allowedHosts: [...config.allowedHosts, ...hostsOfOrigins(config.allowedOrigins)],
    allowedOrigins: config.allowedOrigins,
    allowNoHost: true,
    trustLoopbackPorts: true,
  };
  const originOk = (origin: string | undefined, host: string | undefined) => isAllowedOrigin(origin, host, rules);
  const hostOk = (host: string | undefined) => isAllowedHost(host, rules);
  const logForeignHost = (host: string | undefined, url: string | undefined) =>
    log.warn(
      { event: 'http.foreign_host', host: String(host).slice(0, 100), url: String(url).slice(0, 200) },
      'refused request for a foreign Host',
    );

  // Automation tools often send `content-type: application/json` with no body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  // Every route, reads included, answers only under the station's own names: a
  // DNS-rebinding page sends its own name as Host (421: not this server's name).
  app.addHook('onRequest', async (req, reply) => {
    if (hostOk(req.headers.host)) return;
    logForeignHost(req.headers.host, req.url);
    return errors.send(reply, 421, 'forbidden', 'foreign host');
  });

  // Changes may only come from the station's own pages (or tools without an Origin).
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    if (!originOk(req.headers.origin, req.headers.host)) {
      log.warn(
        { event: 'http.foreign_origin', origin: String(req.headers.origin).slice(0, 100), url: req.url },
        'refused request from a foreign origin',
      );
      return errors.send(reply, 403, 'forbidden', 'foreign origin');
    }
  });

  app.get('/healthz', async () => {
    const s = station.snapshot();
    return {
      ok: true,
      stationId: s.stationId,
      camera: s.camera.state,
      buttons: s.buttons.state,
      disk: s.disk,
      delivery: { pending: s.delivery.pending },
    };
  });
  app.get('/api/state', async () => station.snapshot());
  const metrics = deps.metrics;
  if (metrics) serveMetrics(app, metrics.registry);
  app.post('/api/capture', async () => station.capture());
  app.post('/api/undo', async () => station.undo());
  app.post('/api/finish', async (req, reply) => {
    const body = apiFinishBodySchema.safeParse(req.body ?? {});
    if (!body.success)
      return errors.send(reply, 400, 'bad_request', body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const r = await station.finish(body.data);
    return { movieId: r.movieId };
  });
  if (deps.sim) {
    const sim = deps.sim;
    app.post<{ Params: { action: string } }>('/_sim/button/:action', async (req, reply) => {
      const action = buttonActionSchema.safeParse(req.params.action);
      if (!action.success)
        return errors.send(reply, 400, 'bad_request', `unknown button ${JSON.stringify(req.params.action.slice(0, 40))}`);
      sim.press(action.data);
      return { ok: true };
    });
  }

  // The soundtracks: the list, and each preview by track id (never by a path from the
  // request), with ranges and conditional requests handled by @fastify/static.
  await app.register(fastifyStatic, { root: deps.tracks.dir ?? config.dataDir, serve: false });
  app.get('/api/tracks', async () => ({ tracks: (await deps.tracks.list()).map(TrackLibrary.public) }));
  app.get<{ Params: { id: string } }>('/tracks/:id/preview', async (req, reply) => {
    const dir = deps.tracks.dir;
    const track = dir ? await deps.tracks.get(req.params.id) : undefined;
    if (!dir || !track) return errors.send(reply, 404, 'not_found', 'no such track');
    reply.header('cache-control', 'no-cache');
    return reply.sendFile(track.previewFile, dir);
  });

  app.get<{ Params: { movieId: string; file: string }; Querystring: { v?: string } }>('/frames/:movieId/:file', async (req, reply) => {
    const file = await store.locateFrame(req.params.movieId, req.params.file);
    if (!file) return errors.send(reply, 404, 'not_found', 'no such frame');
    const data = await readFile(file).catch(() => null);
    if (!data) return errors.send(reply, 404, 'not_found', 'no such frame');
    reply.header('content-type', 'image/jpeg');
    reply.header('cache-control', req.query.v ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(data);
  });
  app.get<{ Params: { movieId: string; file: string }; Querystring: { v?: string } }>('/thumbs/:movieId/:file', async (req, reply) => {
    const file = await store.locateFrame(req.params.movieId, req.params.file);
    if (!file) return errors.send(reply, 404, 'not_found', 'no such frame');
    const data = await deps.thumbnails.get(req.params.movieId, file).catch((err: Error) => {
      log.warn({ event: 'thumb.failed', err: err.message }, 'thumbnail failed');
      return null;
    });
    if (!data) return errors.send(reply, 500, 'internal', 'thumbnail failed');
    reply.header('content-type', 'image/jpeg');
    reply.header('cache-control', req.query.v ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(data);
  });

  // The built UI (Vite: index.html + assets/ with hashed names). Unknown paths get
  // index.html so client-side routes survive a reload.
  const uiRoot = path.resolve(config.uiDir);
  const serveUi = async (urlPath: string, reply: FastifyReply) => {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath.split('?')[0] ?? '/');
    } catch {
      return errors.send(reply, 400, 'bad_request', 'bad path');
    }
    if (/^\/(api|_sim|frames|thumbs|tracks|ws|live)(\/|$)/.test(rel)) return errors.send(reply, 404, 'not_found', 'not found');
    if (rel.includes('\0')) return errors.send(reply, 400, 'bad_request', 'bad path');
    let file = path.resolve(uiRoot, `.${path.posix.normalize(rel)}`);
    if (file !== uiRoot && !file.startsWith(uiRoot + path.sep)) return errors.send(reply, 404, 'not_found', 'not found');
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      file = path.join(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    const isAsset = path.extname(rel) !== '';
    if (!info?.isFile()) {
      if (isAsset && !rel.endsWith('.html')) return errors.send(reply, 404, 'not_found', 'not found');
      file = path.join(uiRoot, 'index.html');
      info = await stat(file).catch(() => null);
      if (!info?.isFile())
        return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT_PAGE);
    }
    reply.header('content-type', MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream');
    reply.header('content-length', info.size);
    reply.header('cache-control', rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(createReadStream(file));
  };
  app.get('/', async (req, reply) => serveUi(req.url, reply));
  app.get('/*', async (req, reply) => serveUi(req.url, reply));

  // WebSockets: the control socket and the live view, only from allowed origins.
  const controlWss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const liveWss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const detachControl = attachControl(controlWss, station, { serverStartId: deps.serverStartId, log: log.child({ module: 'ws' }) });
  const detachLive = attachLive(liveWss, deps.camera, log.child({ module: 'live' }));
  const refuse = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const pathname = (req.url ?? '/').split('?')[0];
    if (!hostOk(req.headers.host)) {
      logForeignHost(req.headers.host, pathname);
      refuse(socket, '421 Misdirected Request');
      return;
    }
    const origin = req.headers.origin;
    if (!originOk(origin, req.headers.host)) {
      log.warn(
        { event: 'ws.foreign_origin', origin: String(origin).slice(0, 100), path: pathname },
        'refused WebSocket from a foreign origin',
      );
      refuse(socket, '403 Forbidden');
      return;
    }
    const wss = pathname === CONTROL_PATH ? controlWss : pathname === LIVE_PATH ? liveWss : undefined;
    if (!wss) {
      refuse(socket, '404 Not Found');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const address = await app.listen({ host: config.host, port: config.port });
  const u = new URL(address);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1';
  const url = u.origin;

  return {
    app,
    url,
    async close() {
      detachControl();
      detachLive();
      for (const ws of [...controlWss.clients, ...liveWss.clients]) ws.terminate();
      controlWss.close();
      liveWss.close();
      await app.close();
    },
  };
}
