import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  isValidId,
  MAX_REPORT_BYTES,
  REPORT_HEADERS,
  type ReportReply,
  reportSigningInput,
  type StationAction,
  type StationActionKind,
  type StationReport,
  type StationView,
  stationReportSchema,
} from '@stop-motion/protocol';
import { errorMessage, writeFileAtomic } from './files.js';
import { type HealthThresholds, stationHealth } from './health.js';
import type { Logger } from './log.js';

export type Verdict =
  | { ok: true; report: StationReport; signedAt: number }
  | { ok: false; status: 400 | 401 | 413; code: 'unauthorized' | 'clock' | 'bad_request' | 'too_large'; reason: string };

export interface VerifyInput {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  now: number;
  /** The station's delivery secret, or undefined when it has none (unknown station). */
  secret: string | undefined;
  /** The signed time of the last report taken from this station: a report must be newer. */
  lastSignedAt: number | undefined;
  windowMs: number;
}

const header = (h: VerifyInput['headers'], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Whether a report is from the station it names. Pure. HMAC-SHA256 over time, station
 * and body with that station's secret, compared in constant time; then the signed time
 * must lie within the window and be newer than the last one taken (no replays); then
 * the body must be a report of that same station.
 */
export function verifyReport(i: VerifyInput): Verdict {
  const station = header(i.headers, REPORT_HEADERS.station);
  const time = header(i.headers, REPORT_HEADERS.time);
  const signature = header(i.headers, REPORT_HEADERS.signature);
  if (Buffer.byteLength(i.body) > MAX_REPORT_BYTES) return { ok: false, status: 413, code: 'too_large', reason: 'report too large' };
  if (!isValidId(station)) return { ok: false, status: 401, code: 'unauthorized', reason: 'no valid station id' };
  if (!time || !/^\d{1,16}$/.test(time)) return { ok: false, status: 401, code: 'unauthorized', reason: 'no signed time' };
  if (!signature || !/^[0-9a-f]{64}$/.test(signature)) return { ok: false, status: 401, code: 'unauthorized', reason: 'no signature' };
  if (!i.secret) return { ok: false, status: 401, code: 'unauthorized', reason: 'unknown station (no secret)' };
  const expected = createHmac('sha256', i.secret)
    .update(reportSigningInput(time, station, i.body))
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return { ok: false, status: 401, code: 'unauthorized', reason: 'wrong signature' };
  const signedAt = Number(time);
  if (Math.abs(i.now - signedAt) > i.windowMs)
    return { ok: false, status: 401, code: 'clock', reason: `signed time is ${Math.round((signedAt - i.now) / 1000)} s from ours` };
  if (i.lastSignedAt !== undefined && signedAt <= i.lastSignedAt)
    return { ok: false, status: 401, code: 'unauthorized', reason: 'replayed (not newer than the last report)' };
  let json: unknown;
  try {
    json = JSON.parse(i.body);
  } catch {
    return { ok: false, status: 400, code: 'bad_request', reason: 'not JSON' };
  }
  const parsed = stationReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, status: 400, code: 'bad_request', reason: `not a report: ${issue?.path.join('.')} ${issue?.message}` };
  }
  if (parsed.data.stationId !== station)
    return { ok: false, status: 400, code: 'bad_request', reason: 'the report names another station than its signature' };
  return { ok: true, report: parsed.data, signedAt };
}

interface Entry {
  report: StationReport | null;
  receivedAt: number | null;
  clockOffsetMs: number | null;
  signedAt: number | undefined;
}

interface Persisted {
  closed: string[];
  actions: Record<string, StationAction[]>;
}

export interface StationBookOptions {
  /** Where `<id>.secret` files are (kiosk/bin/stop-motion-station-secret writes them). */
  secretsDir: string;
  /** Operator requests survive a restart here. */
  stateFile: string;
  thresholds: HealthThresholds;
  windowMs: number;
  log: Logger;
  now?: () => number;
}

/**
 * Every station's latest report and the operator's requests for it. Reports are
 * display data only: the one thing sent back is what the operator asked.
 */
export class StationBook {
  private readonly entries = new Map<string, Entry>();
  private closed = new Set<string>();
  private actions = new Map<string, StationAction[]>();
  private readonly refusalLogged = new Map<string, number>();
  private readonly startedAt: number;

  constructor(private readonly options: StationBookOptions) {
    this.startedAt = this.now();
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  async load(): Promise<void> {
    try {
      const persisted = JSON.parse(await readFile(this.options.stateFile, 'utf8')) as Persisted;
      this.closed = new Set((persisted.closed ?? []).filter(isValidId));
      this.actions = new Map(Object.entries(persisted.actions ?? {}).filter(([id]) => isValidId(id)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.options.log.warn({ event: 'control.state_unreadable', err: errorMessage(err) }, 'control state unreadable');
    }
  }

  private async save(): Promise<void> {
    const p: Persisted = { closed: [...this.closed], actions: Object.fromEntries(this.actions) };
    await writeFileAtomic(this.options.stateFile, `${JSON.stringify(p)}\n`);
  }

  private async secretOf(id: string): Promise<string | undefined> {
    if (!isValidId(id)) return undefined;
    try {
      const first = (await readFile(path.join(this.options.secretsDir, `${id}.secret`), 'utf8')).split(/\r?\n/)[0]?.trim();
      return first || undefined;
    } catch {
      return undefined;
    }
  }

  /** Provisioned stations (those with a secret), so one that never reported shows too. */
  private async provisioned(): Promise<string[]> {
    const names = await readdir(this.options.secretsDir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.secret'))
      .map((n) => n.slice(0, -'.secret'.length))
      .filter(isValidId);
  }

  /** Takes a report (or refuses it, logged without the secret or signature); answers with the operator's requests. */
  async receive(
    headers: VerifyInput['headers'],
    body: string,
    from: string,
  ): Promise<{ status: 200; reply: ReportReply } | { status: number; code: string; reason: string }> {
    const now = this.now();
    const claimed = headers[REPORT_HEADERS.station];
    const id = typeof claimed === 'string' && isValidId(claimed) ? claimed : undefined;
    const verdict = verifyReport({
      headers,
      body,
      now,
      secret: id ? await this.secretOf(id) : undefined,
      lastSignedAt: id ? this.entries.get(id)?.signedAt : undefined,
      windowMs: this.options.windowMs,
    });
    if (!verdict.ok) {
      const key = `${from}|${id ?? '?'}|${verdict.reason}`;
      // One line a minute per sender and reason: a misconfigured station must not flood the log.
      if (now - (this.refusalLogged.get(key) ?? Number.NEGATIVE_INFINITY) > 60_000) {
        this.refusalLogged.set(key, now);
        if (this.refusalLogged.size > 1000) this.refusalLogged.clear();
        this.options.log.warn(
          { event: 'report.refused', station: id ?? String(claimed ?? '').slice(0, 64), from, reason: verdict.reason },
          'report refused',
        );
      }
      return { status: verdict.status, code: verdict.code, reason: verdict.reason };
    }
    const r = verdict.report;
    const previous = this.entries.get(r.stationId);
    if (!previous?.report)
      this.options.log.info({ event: 'station.first_report', station: r.stationId, from, software: r.software }, 'station first report');
    this.entries.set(r.stationId, { report: r, receivedAt: now, clockOffsetMs: Date.parse(r.clock) - now, signedAt: verdict.signedAt });
    const pending = this.actions.get(r.stationId) ?? [];
    const left = pending.filter((a) => !r.done.includes(a.id));
    if (left.length !== pending.length) {
      for (const a of pending.filter((x) => r.done.includes(x.id)))
        this.options.log.info({ event: 'station.action_done', station: r.stationId, action: a.kind, id: a.id }, 'station action done');
      if (left.length > 0) this.actions.set(r.stationId, left);
      else this.actions.delete(r.stationId);
      await this.save();
    }
    return {
      status: 200,
      reply: { ok: true, serverTime: new Date(now).toISOString(), closed: this.closed.has(r.stationId), actions: left },
    };
  }

  async setClosed(id: string, closed: boolean): Promise<void> {
    if (closed) this.closed.add(id);
    else this.closed.delete(id);
    await this.save();
  }

  async request(id: string, kind: StationActionKind): Promise<StationAction> {
    const action: StationAction = { id: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, kind };
    const list = (this.actions.get(id) ?? []).filter((a) => a.kind !== kind);
    this.actions.set(id, [...list, action]);
    await this.save();
    return action;
  }

  /** Whether the control room knows this station (it reported, or it has a secret). */
  async knows(id: string): Promise<boolean> {
    return isValidId(id) && (this.entries.has(id) || (await this.secretOf(id)) !== undefined);
  }

  async views(): Promise<StationView[]> {
    const now = this.now();
    const ids = new Set([...this.entries.keys(), ...(await this.provisioned()), ...this.closed]);
    return [...ids].sort().map((id) => {
      const e = this.entries.get(id) ?? { report: null, receivedAt: null, clockOffsetMs: null, signedAt: undefined };
      const v = stationHealth({ ...e, watchingSince: this.startedAt }, now, this.options.thresholds);
      const r = e.report;
      return {
        id,
        lastSeenAt: e.receivedAt === null ? null : new Date(e.receivedAt).toISOString(),
        state: v.state,
        reasons: v.reasons,
        problems: v.problems,
        camera: r ? { state: r.camera.state, fps: r.camera.fps, message: r.camera.message ?? null } : null,
        buttons: r ? { state: r.buttons.state, lastPressAt: r.buttons.lastPressAt, message: r.buttons.message ?? null } : null,
        ui: r
          ? {
              alive: r.ui.lastBeatAt === null ? null : (r.ui.secondsSinceBeat ?? 0) * 1000 <= this.options.thresholds.uiDeadMs,
              secondsSinceBeat: r.ui.secondsSinceBeat,
            }
          : null,
        diskFreeBytes: r?.disk?.freeBytes ?? null,
        outboxCount: r?.outbox.count ?? null,
        outboxOldestAgeSec: r?.outbox.oldestAgeSec ?? null,
        lastDelivery: r ? { at: r.delivery.lastSuccessAt, error: r.delivery.lastError } : null,
        frameCount: r?.film.frameCount ?? null,
        software: r?.software ?? null,
        uptimeSec: r?.uptimeSec ?? null,
        clockOffsetMs: e.clockOffsetMs,
        closed: this.closed.has(id),
        pendingActions: this.actions.get(id) ?? [],
      };
    });
  }
}
