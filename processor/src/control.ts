import type { ServerResponse } from 'node:http';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { secretEquals, withDeadline } from '@stop-motion/kit';
import { type Alert, isValidId, MAX_REPORT_BYTES, REPORT_PATH, type StationView, stationActionKindSchema } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AlertBook, type Condition, evaluateAlerts, type Reachability } from './alerts.js';
import type { S3Config } from './config.js';
import { renderControlPage } from './control-page.js';
import { errorMessage } from './files.js';
import { sendError } from './http-errors.js';
import type { Logger } from './log.js';
import type { StationBook } from './station-reports.js';
import { createS3 } from './upload.js';

/** What the control room reads from the rest of the processor: narrow functions, no internals. */
export interface ControlSources {
  /** The processor's status (the same object `GET /status` answers). */
  status(): Promise<Record<string, unknown>>;
  /** Takes a film off the big screen: the moderation path. */
  takeDown(id: string, why: string): Promise<void>;
  /** The big screen's operator actions. */
  screen: { skip(): Promise<void>; replay(id: string): Promise<boolean>; holdOnSlide(hold: boolean): Promise<void> };
  /** Redis round trip under a deadline; undefined when Redis is not configured. */
  pingRedis?: (timeoutMs: number) => Promise<void>;
}

/**
 * Extra sections the page shows when present (e.g. the review queue of MODERATION=pre):
 * name → a function giving `{title, items:[{id, text}]}`; shown in the order added.
 */
export type ControlSection = () => Promise<{ title: string; items: Array<{ id: string; text: string }> }>;

export interface ControlRoomOptions {
  book: StationBook;
  sources: ControlSources;
  /** CONTROL_TOKEN; without it the control room is off (its routes answer 404). */
  token: string | undefined;
  s3: S3Config | null;
  galleryHealthUrl: string | undefined;
  webhookUrl: string | undefined;
  eventTimeZone: string;
  eventName: string;
  tickMs: number;
  probeMs: number;
  probeTimeoutMs: number;
  /** Render failures and quarantines stay alerts this long after they happen. */
  renderAlertMs: number;
  log: Logger;
}

interface Probes {
  s3: Reachability;
  redis: Reachability;
  gallery: Reachability;
}

export interface ControlSnapshot {
  time: string;
  eventName: string;
  stations: StationView[];
  alerts: { active: Alert[]; recent: Alert[] };
  render: {
    queue: Array<{ id: string; title: string | null; stationId: string | null; state: string; progress: number }>;
    failures: Array<{ id: string; title: string | null; stationId: string | null; reason: string | null; at: string | null }>;
  };
  quarantine: Array<{ id: string | null; name?: string; reason: string | null; at: string | null }>;
  screen: {
    kind: string;
    state: string;
    nowPlaying: string | null;
    next: string | null;
    playlistLength: number;
    restarts: number;
    lastError: string | null;
    held: boolean;
  };
  uploadsWaiting: Array<{ id: string; attempts: number; lastError: string | null; nextAttemptAt: string | null }>;
  services: Probes;
  today: { date: string; films: number; public: number; private: number; frames: number; averageSec: number | null };
  sections: Array<{ name: string; title: string; items: Array<{ id: string; text: string }> }>;
}

type Job = {
  id: string;
  state: string;
  publish?: string;
  title?: string | null;
  stationId?: string | null;
  receivedAt?: string;
  updatedAt?: string;
  frameCount?: number | null;
  durationSec?: number | null;
  progress?: number;
  reason?: string | null;
};

/** The day (YYYY-MM-DD) of an instant in the event's time zone. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The day's counts from the job list. Pure: films made (rendered or later) whose package arrived that day. */
export function dayCounts(jobs: readonly Job[], timeZone: string, now: Date): ControlSnapshot['today'] {
  const date = dayIn(timeZone, now);
  const made = jobs.filter(
    (j) => ['rendered', 'uploading', 'done'].includes(j.state) && j.receivedAt && dayIn(timeZone, new Date(j.receivedAt)) === date,
  );
  const lengths = made.map((j) => j.durationSec ?? 0).filter((d) => d > 0);
  return {
    date,
    films: made.length,
    public: made.filter((j) => j.publish === 'public').length,
    private: made.filter((j) => j.publish === 'private').length,
    frames: made.reduce((n, j) => n + (j.frameCount ?? 0), 0),
    averageSec: lengths.length > 0 ? Math.round((lengths.reduce((a, b) => a + b, 0) / lengths.length) * 10) / 10 : null,
  };
}

const COOKIE = 'stop_motion_control';

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The festival control room: every station's health from its reports, the render
 * queue, the big screen, uploads, S3 / Redis / gallery reachability and the day's
 * counts on one page, with alerts raised and cleared as conditions come and go.
 */
export class ControlRoom {
  private readonly alerts = new AlertBook(100);
  private probes: Probes = {
    s3: { ok: null, error: null },
    redis: { ok: null, error: null },
    gallery: { ok: null, error: null },
  };
  private tickTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private ticking: Promise<void> = Promise.resolve();
  private last: ControlSnapshot | null = null;
  private lastJson = '';
  private readonly clients = new Set<ServerResponse>();
  private readonly s3: ReturnType<typeof createS3> | null;
  private restartTimes: number[] = [];
  private lastRestarts: number | null = null;
  private readonly sections = new Map<string, ControlSection>();
  /** Markup embedded in the page as it is (trusted, ours): the review queue's section. */
  private embedded = '';
  private running = false;

  constructor(private readonly o: ControlRoomOptions) {
    this.s3 = o.s3 ? createS3(o.s3) : null;
  }

  /** Adds a section to the page (the review queue of pre-moderation, for one). */
  addSection(name: string, section: ControlSection): void {
    this.sections.set(name, section);
  }

  /** Embeds fixed markup of our own (no data in it) in the page, e.g. the review section and its script. */
  embed(html: string): void {
    this.embedded += html;
  }

  get enabled(): boolean {
    return this.o.token !== undefined;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.probe();
    await this.tick();
    this.tickTimer = setInterval(() => {
      this.ticking = this.tick();
    }, this.o.tickMs);
    this.tickTimer.unref();
    this.probeTimer = setInterval(() => void this.probe(), this.o.probeMs);
    this.probeTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.tickTimer);
    clearInterval(this.probeTimer);
    await this.ticking;
    for (const c of this.clients) c.end();
    this.clients.clear();
    this.s3?.destroy();
  }

  /** S3, Redis and the gallery, each under its own deadline; a stopped peer costs one deadline, never a hang. */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const ms = this.o.probeTimeoutMs;
    const check = async (run: (() => Promise<unknown>) | null): Promise<Reachability> => {
      if (!run) return { ok: null, error: null };
      try {
        await run();
        return { ok: true, error: null };
      } catch (err) {
        return { ok: false, error: errorMessage(err).slice(0, 200) };
      }
    };
    const s3 = this.s3;
    const bucket = this.o.s3?.bucket;
    const ping = this.o.sources.pingRedis;
    const gallery = this.o.galleryHealthUrl;
    try {
      const [s3r, redis, gal] = await Promise.all([
        check(
          s3 && bucket
            ? () => withDeadline('S3 HEAD bucket', ms, (abortSignal) => s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }))
            : null,
        ),
        check(ping ? () => ping(ms) : null),
        check(
          gallery
            ? async () => {
                const res = await fetch(gallery, { signal: AbortSignal.timeout(ms) });
                await res.body?.cancel();
                if (!res.ok) throw new Error(`HTTP ${res.status}`);
              }
            : null,
        ),
      ]);
      for (const [name, before, after] of [
        ['s3', this.probes.s3, s3r],
        ['redis', this.probes.redis, redis],
        ['gallery', this.probes.gallery, gal],
      ] as const) {
        if (before.ok !== after.ok && after.ok !== null)
          this.o.log[after.ok ? 'info' : 'warn'](
            { event: after.ok ? 'control.reachable' : 'control.unreachable', service: name, err: after.error ?? undefined },
            after.ok ? 'a service answers again' : 'a service does not answer',
          );
      }
      this.probes = { s3: s3r, redis, gallery: gal };
    } finally {
      this.probing = false;
    }
  }

  /** Builds the snapshot, raises and clears alerts, and pushes it to the pages that listen when it changed. */
  async tick(): Promise<void> {
    try {
      const snap = await this.snapshot();
      const json = JSON.stringify({ ...snap, time: '' });
      if (json !== this.lastJson) {
        this.lastJson = json;
        this.broadcast(snap);
      }
    } catch (err) {
      this.o.log.warn({ event: 'control.tick_failed', err: errorMessage(err) }, 'control tick failed');
    }
  }

  private async snapshot(): Promise<ControlSnapshot> {
    const now = Date.now();
    const status = await this.o.sources.status();
    const jobs = (status.jobs as Job[] | undefined) ?? [];
    const player = (status.player as
      | { kind: string; state: string; restarts: number; lastError: string | null; paused?: boolean }
      | undefined) ?? {
      kind: 'none',
      state: 'off',
      restarts: 0,
      lastError: null,
    };
    const playlist = (status.playlist as string[] | undefined) ?? [];
    const nowPlaying = (status.nowPlaying as string | null | undefined) ?? null;
    if (this.lastRestarts !== null && player.restarts > this.lastRestarts) this.restartTimes.push(now);
    this.lastRestarts = player.restarts;
    this.restartTimes = this.restartTimes.filter((t) => now - t < 180_000);
    const stations = await this.o.book.views();
    const recentCutoff = now - this.o.renderAlertMs;
    const failed = jobs.filter((j) => j.state === 'failed' || j.state === 'quarantined');
    const recentFailures = failed.filter((j) => Date.parse(j.updatedAt ?? '') >= recentCutoff);
    const conditions: Condition[] = evaluateAlerts({
      stations,
      failures: recentFailures
        .filter((j) => j.state === 'failed')
        .map((j) => ({ id: j.id, reason: j.reason, title: j.title, stationId: j.stationId })),
      s3: this.probes.s3,
      redis: this.probes.redis,
      gallery: this.probes.gallery,
      player,
      playerRecentRestarts: this.restartTimes.length,
    });
    for (const q of recentFailures.filter((j) => j.state === 'quarantined')) {
      conditions.push({
        key: `film.quarantined:${q.id}`,
        kind: 'film.quarantined',
        severity: 'warn',
        message: `Package ${q.id}${q.stationId ? ` from station ${q.stationId}` : ''} was quarantined: ${(q.reason ?? '').slice(0, 160)}`,
      });
    }
    const changes = this.alerts.update(conditions, now);
    for (const a of changes.raised)
      this.o.log.warn({ event: 'alert.raised', alert: a.key, severity: a.severity, message: a.message }, 'alert raised');
    for (const a of changes.cleared) this.o.log.info({ event: 'alert.cleared', alert: a.key }, 'alert cleared');
    if (this.running) for (const a of [...changes.raised, ...changes.cleared]) this.notify(a);
    const at = playlist.indexOf(nowPlaying ?? '');
    const next = playlist.length === 0 ? null : (playlist[(at + 1) % playlist.length] ?? null);
    const sections: ControlSnapshot['sections'] = [];
    for (const [name, section] of this.sections) {
      try {
        sections.push({ name, ...(await section()) });
      } catch (err) {
        sections.push({ name, title: name, items: [{ id: 'error', text: `could not be read: ${errorMessage(err)}` }] });
      }
    }
    const snap: ControlSnapshot = {
      time: new Date(now).toISOString(),
      eventName: this.o.eventName,
      stations,
      alerts: { active: this.alerts.activeAlerts(), recent: this.alerts.recent().slice(0, 30) },
      render: {
        queue: jobs
          .filter((j) => j.state === 'received' || j.state === 'rendering')
          .map((j) => ({ id: j.id, title: j.title ?? null, stationId: j.stationId ?? null, state: j.state, progress: j.progress ?? 0 })),
        failures: jobs
          .filter((j) => j.state === 'failed')
          .slice(-20)
          .map((j) => ({
            id: j.id,
            title: j.title ?? null,
            stationId: j.stationId ?? null,
            reason: j.reason ?? null,
            at: j.updatedAt ?? null,
          })),
      },
      quarantine: ((status.quarantine as ControlSnapshot['quarantine'] | undefined) ?? []).slice(-20),
      screen: {
        kind: player.kind,
        state: player.state,
        nowPlaying,
        next: next === nowPlaying && playlist.length <= 1 ? null : next,
        playlistLength: playlist.length,
        restarts: player.restarts,
        lastError: player.lastError,
        held: player.paused === true,
      },
      uploadsWaiting: (status.uploadsWaiting as ControlSnapshot['uploadsWaiting'] | undefined) ?? [],
      services: this.probes,
      today: dayCounts(jobs, this.o.eventTimeZone, new Date(now)),
      sections,
    };
    this.last = snap;
    return snap;
  }

  /** Posts an alert that matters to the webhook: under a deadline, never awaited, never logging the URL (it may hold a key). */
  private notify(a: Alert): void {
    const url = this.o.webhookUrl;
    if (!url || a.severity !== 'critical') return;
    const state = a.clearedAt ? 'cleared' : 'raised';
    const body = JSON.stringify({ text: `${state === 'cleared' ? '✅ cleared' : '🚨'} ${a.message}`, event: `alert.${state}`, alert: a });
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) })
      .then(async (res) => {
        await res.body?.cancel();
        if (!res.ok) this.o.log.warn({ event: 'alert.webhook_failed', alert: a.key, status: res.status }, 'alert webhook failed');
      })
      .catch((err: unknown) =>
        this.o.log.warn({ event: 'alert.webhook_failed', alert: a.key, err: errorMessage(err).slice(0, 120) }, 'alert webhook failed'),
      );
  }

  private broadcast(snap: ControlSnapshot): void {
    const frame = `event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`;
    for (const c of this.clients) {
      // A slow page skips snapshots until it drained: the newest wins, nothing queues.
      if (c.writableNeedDrain) continue;
      c.write(frame);
    }
  }

  async current(): Promise<ControlSnapshot> {
    return this.last ?? (await this.snapshot());
  }

  // ---- HTTP ------------------------------------------------------------------

  /** Whether a request path is the control room's (it checks CONTROL_TOKEN itself, or a station's signature). */
  static owns(url: string): boolean {
    const p = url.split('?')[0] ?? '';
    return p === '/control' || p === REPORT_PATH || p === '/api/stations' || p.startsWith('/api/control');
  }

  private authorised(req: FastifyRequest): boolean {
    const token = this.o.token;
    if (!token) return false;
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    return secretEquals(bearer ?? cookieValue(req.headers.cookie, COOKIE), token);
  }

  /** The station report route alone, for a listener of its own on the LAN (REPORT_PORT). */
  registerReportRoute(app: FastifyInstance): void {
    app.register((scope, _opts, done) => {
      // The signature covers the exact bytes, so the body is kept as text.
      scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_REPORT_BYTES }, (_req, body, done) =>
        done(null, body),
      );
      scope.post(REPORT_PATH, async (req, reply) => {
        const result = await this.o.book.receive(req.headers, typeof req.body === 'string' ? req.body : '', req.ip);
        if (result.status === 200 && 'reply' in result) return result.reply;
        const refusal = result as { status: number; code: string; reason: string };
        return reply.code(refusal.status).send({
          ok: false,
          error: { code: refusal.code, message: refusal.code === 'clock' ? refusal.reason : 'report refused' },
          ...(refusal.code === 'clock' ? { serverTime: new Date().toISOString() } : {}),
        });
      });
      done();
    });
  }

  register(app: FastifyInstance, opts: { reports: boolean }): void {
    if (opts.reports) this.registerReportRoute(app);
    const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
      if (!this.enabled) {
        await sendError(reply, 404, 'not_found', 'the control room is off: set CONTROL_TOKEN');
        return false;
      }
      if (this.authorised(req)) return true;
      await sendError(reply, 401, 'unauthorized', 'a valid CONTROL_TOKEN is required');
      return false;
    };
    app.get<{ Querystring: { token?: string } }>('/control', async (req, reply) => {
      const given = req.query.token;
      if (given !== undefined && this.o.token && secretEquals(given, this.o.token)) {
        // The token moves into a cookie and out of the address bar (and of history and screenshots).
        return reply
          .header('set-cookie', `${COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`)
          .redirect('/control', 303);
      }
      if (!(await guard(req, reply))) return reply;
      return (
        reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          // 'self' scripts for an embedded section's script; blob: media for films it plays.
          .header(
            'content-security-policy',
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; media-src 'self' blob:",
          )
          .send(renderControlPage(await this.current(), this.embedded))
      );
    });
    app.get('/api/stations', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      return { stations: await this.o.book.views() };
    });
    app.get('/api/control', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      return this.current();
    });
    app.get('/api/control/events', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(await this.current())}\n\n`);
      this.clients.add(res);
      const ping = setInterval(() => {
        if (!res.writableNeedDrain) res.write(': ping\n\n');
      }, 15_000);
      ping.unref();
      req.raw.on('close', () => {
        clearInterval(ping);
        this.clients.delete(res);
      });
    });
    app.post<{ Params: { id: string; action: string } }>('/api/control/stations/:id/:action', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      const { id, action } = req.params;
      if (!isValidId(id) || !(await this.o.book.knows(id))) return sendError(reply, 404, 'not_found', 'no such station');
      if (action === 'close' || action === 'open') {
        await this.o.book.setClosed(id, action === 'close');
        this.o.log.info({ event: 'operator.station', station: id, action, from: req.ip }, 'operator station');
      } else {
        const kind = stationActionKindSchema.safeParse(action);
        if (!kind.success) return sendError(reply, 404, 'not_found', 'no such action');
        const sent = await this.o.book.request(id, kind.data);
        this.o.log.info({ event: 'operator.station', station: id, action, id: sent.id, from: req.ip }, 'operator station');
      }
      this.ticking = this.tick();
      return { ok: true };
    });
    app.post<{ Params: { action: string } }>('/api/control/screen/:action', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      const { action } = req.params;
      const screen = this.o.sources.screen;
      if (action === 'skip') await screen.skip();
      else if (action === 'hold' || action === 'release') await screen.holdOnSlide(action === 'hold');
      else return sendError(reply, 404, 'not_found', 'no such action');
      this.o.log.info({ event: 'operator.screen', action, from: req.ip }, 'operator screen');
      this.ticking = this.tick();
      return { ok: true };
    });
    app.post<{ Params: { id: string } }>('/api/control/films/:id/replay', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      if (!isValidId(req.params.id)) return sendError(reply, 400, 'bad_request', 'invalid film id');
      if (!(await this.o.sources.screen.replay(req.params.id)))
        return sendError(reply, 404, 'not_found', 'that film is not on the playlist');
      this.o.log.info({ event: 'operator.film', film: req.params.id, action: 'replay', from: req.ip }, 'operator film');
      this.ticking = this.tick();
      return { ok: true };
    });
    app.post<{ Params: { id: string } }>('/api/control/films/:id/take-down', async (req, reply) => {
      if (!(await guard(req, reply))) return reply;
      if (!isValidId(req.params.id)) return sendError(reply, 400, 'bad_request', 'invalid film id');
      await this.o.sources.takeDown(req.params.id, 'operator (control room)');
      this.o.log.info({ event: 'operator.film', film: req.params.id, action: 'take-down', from: req.ip }, 'operator film');
      this.ticking = this.tick();
      return { ok: true };
    });
  }
}
