import type { StationHealth, StationReport } from '@stop-motion/protocol';

/** When a station stops being ok. All pure data, from the processor's config. */
export interface HealthThresholds {
  /** No report for this long: down, "silent". */
  silentMs: number;
  /** Less free disk than this: warn. */
  diskWarnBytes: number;
  /** The oldest undelivered film older than this: warn. */
  outboxWarnMs: number;
  /** The kiosk UI's heartbeat older than this: down. */
  uiDeadMs: number;
  /** Station clock this far from ours: warn (title-card dates and logs go wrong). */
  clockWarnMs: number;
}

export interface StationSighting {
  report: StationReport | null;
  /** Our clock when the last report arrived. */
  receivedAt: number | null;
  /** Station clock minus ours at that moment. */
  clockOffsetMs: number | null;
  /** Since when we listen for reports (start of the processor): a station is not silent before it had a chance. */
  watchingSince?: number;
}

export interface HealthVerdict {
  state: StationHealth;
  /** In an operator's words, worst first. */
  reasons: string[];
  /** Short names of the same problems, in the same order. */
  problems: string[];
}

const mb = (bytes: number) => `${Math.max(0, Math.floor(bytes / 1_048_576))} MB`;

/** "45 s", "12 min", "3 h" */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.round(m / 60)} h`;
}

const clip = (text: string | undefined | null, max = 120) => {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/**
 * A station's state as the control room shows it. Pure: the same report, clock and
 * thresholds always give the same verdict. Down = children cannot make films there
 * (or we cannot tell); warn = they can, but something needs a look soon.
 */
export function stationHealth(s: StationSighting, now: number, t: HealthThresholds): HealthVerdict {
  const down: Array<[string, string]> = [];
  const warn: Array<[string, string]> = [];
  const r = s.report;
  if (!r || s.receivedAt === null) {
    if (s.watchingSince !== undefined && now - s.watchingSince <= t.silentMs)
      return { state: 'warn', reasons: ['waiting for its first report'], problems: ['waiting'] };
    return { state: 'down', reasons: ['silent: has never reported'], problems: ['silent'] };
  }
  const age = now - s.receivedAt;
  if (age > t.silentMs) down.push(['silent', `silent: no report for ${duration(age)} (switched off, frozen or off the network)`]);

  const cam = r.camera;
  if (cam.state === 'failed') down.push(['camera', `camera failed${cam.message ? `: ${clip(cam.message)}` : ''}`]);
  else if (cam.state === 'restarting')
    down.push(['camera', `camera gives no pictures, restarting${cam.message ? `: ${clip(cam.message)}` : ''} (${cam.restarts} restarts)`]);
  else if (cam.state === 'off') down.push(['camera', 'camera is off']);

  if (r.buttons.state === 'failed') down.push(['buttons', `buttons not working${r.buttons.message ? `: ${clip(r.buttons.message)}` : ''}`]);

  if (r.ui.lastBeatAt !== null && r.ui.secondsSinceBeat !== null && r.ui.secondsSinceBeat * 1000 > t.uiDeadMs)
    down.push(['ui', `screen not responding for ${duration(r.ui.secondsSinceBeat * 1000)}`]);

  if (r.disk?.full) down.push(['disk', `disk full (${mb(r.disk.freeBytes)} free): new pictures are refused`]);
  else if (r.disk && r.disk.freeBytes < t.diskWarnBytes) warn.push(['disk', `disk almost full: ${mb(r.disk.freeBytes)} free`]);

  const oldest = r.outbox.oldestAgeSec;
  if (r.outbox.count > 0 && oldest !== null && oldest * 1000 > t.outboxWarnMs) {
    const why = r.delivery.lastError ? ` (last error: ${clip(r.delivery.lastError, 100)})` : '';
    warn.push([
      'outbox',
      `${r.outbox.count} film${r.outbox.count === 1 ? '' : 's'} not delivered, the oldest for ${duration(oldest * 1000)}${why}`,
    ]);
  }
  if (s.clockOffsetMs !== null && Math.abs(s.clockOffsetMs) > t.clockWarnMs)
    warn.push(['clock', `clock is ${duration(Math.abs(s.clockOffsetMs))} ${s.clockOffsetMs > 0 ? 'ahead' : 'behind'}`]);

  const all = [...down, ...warn];
  return {
    state: down.length > 0 ? 'down' : warn.length > 0 ? 'warn' : 'ok',
    reasons: all.map(([, reason]) => reason),
    problems: all.map(([p]) => p),
  };
}
