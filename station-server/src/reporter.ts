import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  DONE_FILE,
  isValidId,
  REPORT_FORMAT,
  REPORT_HEADERS,
  REPORT_VERSION,
  type ReportReply,
  reportRefusalSchema,
  reportReplySchema,
  reportSigningInput,
  type StationAction,
  type StationReport,
  stationReportSchema,
} from '@stop-motion/protocol';
import type { Logger } from './log.js';

/** The least time between two reports sent because something changed. */
const SOON_MIN_MS = 500;

/** Everything in a report except what the reporter itself adds. */
export type ReportBody = Omit<StationReport, 'format' | 'version' | 'clock' | 'done'>;

/** Delay before the next report after `failures` failed ones in a row: doubling from the interval, capped. Pure. */
export function reportDelayMs(failures: number, intervalMs: number, maxMs = 60_000): number {
  if (failures <= 0) return intervalMs;
  return Math.min(Math.max(maxMs, intervalMs), intervalMs * 2 ** Math.min(failures, 20));
}

/** The headers that sign a report body: HMAC-SHA256 of time, station and body with the station's secret. Pure. */
export function signReport(body: string, stationId: string, secret: string, timeMs: number): Record<string, string> {
  const time = String(Math.round(timeMs));
  const signature = createHmac('sha256', secret)
    .update(reportSigningInput(time, stationId, body))
    .digest('hex');
  return {
    'content-type': 'application/json',
    [REPORT_HEADERS.station]: stationId,
    [REPORT_HEADERS.time]: time,
    [REPORT_HEADERS.signature]: signature,
  };
}

/** The delivery secret, as rsync reads it: RSYNC_PASSWORD, else the first line of RSYNC_PASSWORD_FILE. */
export function readStationSecret(password: string | undefined, passwordFile: string | undefined): string | undefined {
  if (password) return password;
  if (!passwordFile) return undefined;
  const first = readFileSync(passwordFile, 'utf8').split(/\r?\n/)[0]?.trim();
  return first || undefined;
}

/** Age in seconds of the oldest finished package still in the outbox (its DONE marker's time), or null when none. */
export async function outboxOldestAgeSec(outboxDir: string, now = Date.now()): Promise<number | null> {
  let oldest = Number.POSITIVE_INFINITY;
  for (const id of (await readdir(outboxDir).catch(() => [] as string[])).filter(isValidId)) {
    const s = await stat(path.join(outboxDir, id, DONE_FILE)).catch(() => null);
    if (s) oldest = Math.min(oldest, s.mtimeMs);
  }
  return Number.isFinite(oldest) ? Math.max(0, Math.round((now - oldest) / 1000)) : null;
}

export interface ReporterOptions {
  url: string;
  stationId: string;
  secret: string;
  intervalMs: number;
  /** Deadline of one report, answer included. */
  timeoutMs: number;
  collect(): Promise<ReportBody>;
  /** The operator's "closed for a break" as the processor last said it. */
  onClosed(closed: boolean): void;
  /** A one-shot operator request; called once per action id. */
  onAction(action: StationAction): Promise<void> | void;
  log: Logger;
  now?: () => number;
}

/**
 * Reports the station's health to the processing unit, outbound only, every few
 * seconds. Nothing on the station waits for it: a processor that is away or stopped
 * costs one timed-out request, then the reports back off and resume when it answers.
 */
export class Reporter {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failures = 0;
  /** Our clock minus the processor's, learnt from a refusal for time: signatures then use its clock. */
  private skewMs = 0;
  private done: string[] = [];
  private readonly seen: string[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private sending = false;
  private again = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private abort: AbortController | undefined;
  lastReply: ReportReply | null = null;
  lastError: string | null = null;

  constructor(private readonly options: ReporterOptions) {}

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  async start(): Promise<void> {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.abort?.abort();
    await this.inFlight;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.inFlight = this.tick();
    }, ms);
    this.timer.unref();
  }

  /**
   * Something the control room shows changed (the camera failed, the disk filled): report
   * now rather than at the next interval, at most one every SOON_MIN_MS. Not while the
   * processor is unreachable: the backoff stands.
   */
  soon(): void {
    if (!this.running || this.failures > 0) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    const wait = Math.max(0, this.lastSentAt + SOON_MIN_MS - performance.now());
    this.schedule(wait);
  }

  private async tick(): Promise<void> {
    this.sending = true;
    this.lastSentAt = performance.now();
    let ok = false;
    try {
      ok = await this.sendOnce();
    } catch (err) {
      this.fail((err as Error).message);
    }
    if (ok) {
      if (this.failures > 0)
        this.options.log.info({ event: 'report.resumed', after: this.failures }, 'the processor hears this station again');
      this.failures = 0;
      this.lastError = null;
    }
    this.sending = false;
    if (this.again && this.failures === 0) {
      this.again = false;
      this.schedule(SOON_MIN_MS);
    } else {
      this.again = false;
      this.schedule(reportDelayMs(this.failures, this.options.intervalMs));
    }
  }

  private fail(reason: string): void {
    this.failures++;
    this.lastError = reason;
    // Once per outage, not every few seconds.
    if (this.failures === 1) this.options.log.warn({ event: 'report.failed', reason }, 'cannot report to the processor; will keep trying');
    else this.options.log.debug({ event: 'report.failed', reason, failures: this.failures }, 'report failed');
  }

  /** One report; true when the processor took it. Exposed for tests. */
  async sendOnce(): Promise<boolean> {
    const body = await this.options.collect();
    const report: StationReport = stationReportSchema.parse({
      format: REPORT_FORMAT,
      version: REPORT_VERSION,
      ...body,
      clock: new Date(this.now()).toISOString(),
      done: this.done.slice(-20),
    });
    const text = JSON.stringify(report);
    const attempt = async (): Promise<'ok' | 'clock' | 'failed'> => {
      const abort = new AbortController();
      this.abort = abort;
      const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      try {
        const res = await fetch(this.options.url, {
          method: 'POST',
          headers: signReport(text, report.stationId, this.options.secret, this.now() - this.skewMs),
          body: text,
          signal: abort.signal,
        });
        const json: unknown = await res.json().catch(() => null);
        if (res.ok) {
          const reply = reportReplySchema.safeParse(json);
          if (!reply.success) {
            this.fail('the processor answered something that is not a report reply');
            return 'failed';
          }
          await this.apply(reply.data, report.done);
          return 'ok';
        }
        const refusal = reportRefusalSchema.safeParse(json);
        if (refusal.success && refusal.data.error.code === 'clock' && refusal.data.serverTime) {
          const skew = this.now() - Date.parse(refusal.data.serverTime);
          if (Math.abs(skew - this.skewMs) > 1000) {
            this.options.log.warn(
              { event: 'report.clock', offsetMs: skew },
              "this station's clock is off; signing with the processor's time",
            );
            this.skewMs = skew;
            return 'clock';
          }
        }
        this.fail(`HTTP ${res.status}${refusal.success ? `: ${refusal.data.error.message}` : ''}`);
        return 'failed';
      } catch (err) {
        const reason = abort.signal.aborted ? String((abort.signal.reason as Error)?.message ?? 'aborted') : (err as Error).message;
        this.fail(`${this.options.url}: ${reason}`);
        return 'failed';
      } finally {
        clearTimeout(timer);
      }
    };
    let result = await attempt();
    if (result === 'clock') result = await attempt();
    return result === 'ok';
  }

  private async apply(reply: ReportReply, acknowledged: string[]): Promise<void> {
    this.lastReply = reply;
    this.done = this.done.filter((id) => !acknowledged.includes(id));
    this.options.onClosed(reply.closed);
    for (const action of reply.actions) {
      if (this.seen.includes(action.id)) continue;
      this.seen.push(action.id);
      if (this.seen.length > 100) this.seen.shift();
      this.options.log.info({ event: 'operator.action', action: action.kind, id: action.id }, 'operator request from the processor');
      try {
        await this.options.onAction(action);
      } catch (err) {
        this.options.log.error(
          { event: 'operator.action_failed', action: action.kind, err: (err as Error).message },
          'operator request failed',
        );
      }
      this.done.push(action.id);
    }
  }
}
