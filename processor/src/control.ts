// The festival control room: its state and its tick. What it shows is built in
// control-snapshot.ts, the alerts' conditions and webhook are in control-alerts.ts, the
// service probes in control-probes.ts, the page's routes in control-http.ts, the page
// itself in control-page.ts, and the stations' reports in station-reports.ts.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { AlertBook } from './alerts.js';
import type { S3Config } from './config.js';
import { controlConditions, postAlert, RestartWindow } from './control-alerts.js';
import { registerControlRoutes, registerReportRoute } from './control-http.js';
import { logReachabilityChanges, type Probes, probeServices, UNPROBED } from './control-probes.js';
import { buildSnapshot, type ControlSnapshot, statusParts } from './control-snapshot.js';
import { errorMessage } from './files.js';
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

/**
 * The festival control room: every station's health from its reports, the render
 * queue, the big screen, uploads, S3 / Redis / gallery reachability and the day's
 * counts on one page, with alerts raised and cleared as conditions come and go.
 */
export class ControlRoom {
  private readonly alerts = new AlertBook(100);
  private probes: Probes = UNPROBED;
  private tickTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private ticking: Promise<void> = Promise.resolve();
  private last: ControlSnapshot | null = null;
  /** Ticks overlap (the interval, an operator's action): a snapshot begun before the one stored is dropped, never pushed. */
  private started = 0;
  private stored = 0;
  private lastJson = '';
  private readonly clients = new Set<ServerResponse>();
  private readonly s3: ReturnType<typeof createS3> | null;
  private readonly restarts = new RestartWindow();
  private readonly sections = new Map<string, ControlSection>();
  /** Markup embedded in the page as it is (trusted, ours): the review queue's section. */
  private embedded = '';
  private running = false;

  constructor(private readonly options: ControlRoomOptions) {
    this.s3 = options.s3 ? createS3(options.s3) : null;
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
    return this.options.token !== undefined;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.probe();
    await this.tick();
    this.tickTimer = setInterval(() => {
      this.ticking = this.tick();
    }, this.options.tickMs);
    this.tickTimer.unref();
    this.probeTimer = setInterval(() => void this.probe(), this.options.probeMs);
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

  /** One probe at a time: a slow one is not stacked on. */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const probes = await probeServices({
        s3: this.s3,
        bucket: this.options.s3?.bucket,
        pingRedis: this.options.sources.pingRedis,
        galleryHealthUrl: this.options.galleryHealthUrl,
        timeoutMs: this.options.probeTimeoutMs,
      });
      logReachabilityChanges(this.probes, probes, this.options.log);
      this.probes = probes;
    } finally {
      this.probing = false;
    }
  }

  /** Builds the snapshot, raises and clears alerts, and pushes it to the pages that listen when it changed. */
  async tick(): Promise<void> {
    try {
      const snap = await this.snapshot();
      if (snap !== this.last) return;
      const json = JSON.stringify({ ...snap, time: '' });
      if (json !== this.lastJson) {
        this.lastJson = json;
        this.broadcast(snap);
      }
    } catch (err) {
      this.options.log.warn({ event: 'control.tick_failed', err: errorMessage(err) }, 'control tick failed');
    }
  }

  private async snapshot(): Promise<ControlSnapshot> {
    const { log } = this.options;
    const seq = ++this.started;
    const now = Date.now();
    const status = statusParts(await this.options.sources.status());
    const playerRecentRestarts = this.restarts.note(status.player.restarts, now);
    const stations = await this.options.book.views();
    const conditions = controlConditions({
      jobs: status.jobs,
      stations,
      probes: this.probes,
      player: status.player,
      playerRecentRestarts,
      since: now - this.options.renderAlertMs,
    });
    const changes = this.alerts.update(conditions, now);
    for (const a of changes.raised)
      log.warn({ event: 'alert.raised', alert: a.key, severity: a.severity, message: a.message }, 'alert raised');
    for (const a of changes.cleared) log.info({ event: 'alert.cleared', alert: a.key }, 'alert cleared');
    if (this.running) for (const a of [...changes.raised, ...changes.cleared]) postAlert(this.options.webhookUrl, a, log);
    const snap = buildSnapshot({
      now,
      eventName: this.options.eventName,
      eventTimeZone: this.options.eventTimeZone,
      status,
      stations,
      alerts: { active: this.alerts.activeAlerts(), recent: this.alerts.recent().slice(0, 30) },
      services: this.probes,
      sections: await this.readSections(),
    });
    if (seq > this.stored) {
      this.stored = seq;
      this.last = snap;
    }
    return snap;
  }

  /** Each added section, or the reason it could not be read (one broken section leaves the page up). */
  private async readSections(): Promise<ControlSnapshot['sections']> {
    const sections: ControlSnapshot['sections'] = [];
    for (const [name, section] of this.sections) {
      try {
        sections.push({ name, ...(await section()) });
      } catch (err) {
        sections.push({ name, title: name, items: [{ id: 'error', text: `could not be read: ${errorMessage(err)}` }] });
      }
    }
    return sections;
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

  /** The station report route alone, for a listener of its own on the LAN (REPORT_PORT). */
  registerReportRoute(app: FastifyInstance): void {
    registerReportRoute(app, this.options.book);
  }

  /** The page, its API and the operator's actions (and the report route unless it has a listener of its own). */
  register(app: FastifyInstance, { reports }: { reports: boolean }): void {
    if (reports) this.registerReportRoute(app);
    const { token, book, sources, log } = this.options;
    registerControlRoutes(app, {
      token,
      book,
      screen: sources.screen,
      takeDown: (id, why) => sources.takeDown(id, why),
      log,
      current: () => this.current(),
      embedded: () => this.embedded,
      follow: (res) => {
        this.clients.add(res);
        return () => this.clients.delete(res);
      },
      refresh: () => {
        this.ticking = this.tick();
      },
    });
  }
}
