import { httpClientErrorHandler, isAllowedHost, isAllowedOrigin, type OriginRules, secretEquals } from '@stop-motion/kit';
import { isValidId, type ProcessorStatus } from '@stop-motion/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { isLoopbackHost } from './config.js';
import type { ControlRoom } from './control.js';
import { sendError, useProcessorHttpErrors } from './http-errors.js';
import type { Logger } from './log.js';
import type { Pipeline } from './pipeline.js';

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A plain page for operators; it reloads itself every few seconds. */
export function renderStatusPage(s: ProcessorStatus): string {
  const gb = (n: number | undefined) => (n === undefined ? '?' : `${(n / 1e9).toFixed(1)} GB`);
  const disk = s.disk;
  const rows = s.jobs
    .slice(-60)
    .reverse()
    .map(
      (j) =>
        `<tr><td><code>${escapeHtml(j.id)}</code></td><td>${escapeHtml(j.state)}</td><td>${escapeHtml(j.publish)}</td>` +
        `<td>${Math.round(j.progress * 100)}%</td><td>${escapeHtml(j.title)}</td>` +
        `<td>${j.renderMs ? `${(j.renderMs / 1000).toFixed(1)} s` : ''}</td><td>${escapeHtml(j.reason)}</td></tr>`,
    )
    .join('');
  const player = s.player;
  const retention = s.retention;
  const cleaned = (retention?.cleaned ?? [])
    .slice(0, 30)
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.at)}</td><td>${escapeHtml(c.area)}</td><td><code>${escapeHtml(c.name)}</code></td>` +
        `<td>${(c.bytes / 1e6).toFixed(1)} MB</td><td>${escapeHtml(c.reason)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Processor status</title><style>body{font:14px system-ui,sans-serif;margin:1.5rem;background:#111;color:#eee}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #333;padding:.3rem .5rem;text-align:start}code{color:#9cf}</style></head>
<body><h1>Processor</h1>
<p>Now playing: <code>${escapeHtml(s.nowPlaying ?? '—')}</code> · player ${escapeHtml(player.kind)} (${escapeHtml(player.state)}, restarts ${escapeHtml(player.restarts)})
· playlist ${s.playlist.length} films · uploads waiting ${s.uploadsWaiting.length}
· free disk ${gb(disk?.freeBytes)} of ${gb(disk?.totalBytes)}</p>
<table><thead><tr><th>film</th><th>state</th><th>publish</th><th>progress</th><th>title</th><th>render</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Cleaned</h2><p>Last sweep: ${escapeHtml(retention?.lastSweepAt ?? '—')}</p>
<table><thead><tr><th>when</th><th>area</th><th>name</th><th>size</th><th>why</th></tr></thead><tbody>${cleaned}</tbody></table>
</body></html>`;
}

export interface StatusServerOptions {
  host: string;
  port: number;
  token: string | undefined;
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  log: Logger;
  pipeline: Pipeline;
  /** Routes of modules beside the status page (metrics, review), added before it listens. */
  extend?: (app: FastifyInstance) => void;
  /** Path prefixes that check their own token (the review queue's CONTROL_TOKEN) instead of STATUS_TOKEN. */
  ownAuth?: readonly string[];
}

export async function startStatusServer(options: StatusServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, clientErrorHandler: httpClientErrorHandler });
  useProcessorHttpErrors(app, options.log, 'status.error');
  const needsToken = !isLoopbackHost(options.host) || options.token !== undefined;
  const rules: OriginRules = { host: options.host, allowedHosts: options.allowedHosts ?? [], allowedOrigins: options.allowedOrigins ?? [] };
  // Before the token: a rebinding page or a foreign origin is refused whether or not one is set.
  app.addHook('onRequest', async (req, reply) => {
    const host = req.headers.host;
    if (!isAllowedHost(host, rules)) {
      options.log.warn(
        { event: 'http.foreign_host', host: String(host).slice(0, 100), url: req.url.split('?')[0]?.slice(0, 100) },
        'http foreign host',
      );
      return sendError(reply, 421, 'forbidden', 'unknown Host');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !isAllowedOrigin(req.headers.origin, host, rules)) {
      options.log.warn(
        { event: 'http.foreign_origin', origin: String(req.headers.origin).slice(0, 100), url: req.url.split('?')[0]?.slice(0, 100) },
        'http foreign origin',
      );
      return sendError(reply, 403, 'forbidden', 'foreign origin');
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz' || !needsToken || !options.token) return;
    if (options.ownAuth?.some((p) => req.url === p || req.url.startsWith(`${p}/`) || req.url.startsWith(`${p}?`))) return;
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const query = (req.query as Record<string, string | undefined>)?.token;
    if (!secretEquals(bearer ?? query, options.token)) {
      return sendError(reply, 401, 'unauthorized', 'a valid STATUS_TOKEN is required');
    }
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/status', async () => options.pipeline.status());
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(renderStatusPage(await options.pipeline.status())));
  app.post<{ Params: { id: string } }>('/api/films/:id/remove', async (req, reply) => {
    if (!isValidId(req.params.id)) return sendError(reply, 400, 'bad_request', 'invalid film id');
    await options.pipeline.takeDown(req.params.id, 'operator');
    return { ok: true };
  });
  options.extend?.(app);
  const address = await app.listen({ host: options.host, port: options.port });
  const url = address.replace('[::1]', '127.0.0.1');
  options.log.info({ event: 'service.listening', url }, 'listening');
  return { app, url };
}

/**
 * Station reports alone, on an address of their own (REPORT_HOST/REPORT_PORT, the LAN
 * or VPN side) so the status page and control room can stay on loopback. Every report
 * is signed by its station, so no Host rule is needed here: nothing else is served.
 */
export async function startReportServer(
  control: ControlRoom,
  listen: { host: string; port: number },
  log: Logger,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, clientErrorHandler: httpClientErrorHandler });
  useProcessorHttpErrors(app, log, 'reports.error');
  control.registerReportRoute(app);
  const address = await app.listen({ host: listen.host, port: listen.port });
  const url = address.replace('[::1]', '127.0.0.1');
  log.info({ event: 'reports.listening', url }, 'reports listening');
  return { app, url };
}
