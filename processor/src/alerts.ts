import type { Alert, StationView } from '@stop-motion/protocol';

/** A condition that holds right now; an alert is raised when its key appears and cleared when it goes. */
export interface Condition {
  key: string;
  kind: string;
  severity: 'warn' | 'critical';
  message: string;
}

export interface Reachability {
  /** null: not configured (no alert). */
  ok: boolean | null;
  error: string | null;
}

export interface AlertInput {
  stations: readonly StationView[];
  failures: ReadonlyArray<{ id: string; reason?: string | null; title?: string | null; stationId?: string | null }>;
  s3: Reachability;
  redis: Reachability;
  gallery: Reachability;
  player: { state: string; lastError: string | null };
  /** mpv restarts within the recent window (counted by the caller). */
  playerRecentRestarts: number;
}

const STATION_KINDS: Record<string, { kind: string; severity: 'warn' | 'critical' }> = {
  silent: { kind: 'station.silent', severity: 'critical' },
  camera: { kind: 'station.camera', severity: 'critical' },
  buttons: { kind: 'station.buttons', severity: 'critical' },
  ui: { kind: 'station.ui', severity: 'critical' },
  disk: { kind: 'station.disk', severity: 'warn' },
  outbox: { kind: 'station.outbox', severity: 'warn' },
  clock: { kind: 'station.clock', severity: 'warn' },
};

/**
 * Every alert condition that holds now. Pure: the same input always gives the same
 * list, so raising and clearing is a comparison of two lists (see AlertBook).
 */
export function evaluateAlerts(i: AlertInput): Condition[] {
  const out: Condition[] = [];
  for (const s of i.stations) {
    s.problems.forEach((problem, n) => {
      const k = STATION_KINDS[problem];
      if (!k) return;
      // A disk that is full (not only low) stops the station: that one matters now.
      const severity = problem === 'disk' && s.state === 'down' ? 'critical' : k.severity;
      out.push({ key: `${k.kind}:${s.id}`, kind: k.kind, severity, message: `Station ${s.id}: ${s.reasons[n] ?? problem}` });
    });
  }
  for (const f of i.failures) {
    const what = f.title ? `"${f.title}"` : f.id;
    out.push({
      key: `render.failed:${f.id}`,
      kind: 'render.failed',
      severity: 'critical',
      message: `Film ${what}${f.stationId ? ` from station ${f.stationId}` : ''} failed to render${f.reason ? `: ${f.reason.slice(0, 160)}` : ''}`,
    });
  }
  const reach = (name: string, kind: string, r: Reachability, severity: 'warn' | 'critical', effect: string) => {
    if (r.ok === false)
      out.push({ key: kind, kind, severity, message: `${name} unreachable${r.error ? ` (${r.error.slice(0, 120)})` : ''}: ${effect}` });
  };
  reach('S3', 's3.unreachable', i.s3, 'critical', 'public films wait here and reach the website later');
  reach(
    'Redis',
    'redis.unreachable',
    i.redis,
    'warn',
    'the website learns of new films more slowly and moderation reaches the big screen late',
  );
  reach('The gallery', 'gallery.unreachable', i.gallery, 'critical', 'families cannot see their films');
  if (i.player.state === 'restarting' || i.playerRecentRestarts > 0) {
    out.push({
      key: 'player.restarting',
      kind: 'player.restarting',
      severity: 'critical',
      message: `The big screen's player (mpv) is restarting${i.playerRecentRestarts > 0 ? ` (${i.playerRecentRestarts} restarts in the last minutes)` : ''}${i.player.lastError ? `: ${i.player.lastError.slice(0, 120)}` : ''}`,
    });
  }
  return out;
}

export interface AlertChanges {
  raised: Alert[];
  cleared: Alert[];
}

/** Alerts with a short history: a ring of the last `size`, newest first, raised and cleared by comparing conditions. */
export class AlertBook {
  private readonly active = new Map<string, Alert>();
  private history: Alert[] = [];

  constructor(private readonly size = 100) {}

  update(conditions: readonly Condition[], now: number): AlertChanges {
    const at = new Date(now).toISOString();
    const seen = new Set<string>();
    const raised: Alert[] = [];
    const cleared: Alert[] = [];
    for (const c of conditions) {
      if (seen.has(c.key)) continue;
      seen.add(c.key);
      const current = this.active.get(c.key);
      if (current) {
        // Same condition, newer words (a growing age): kept up to date, not raised again.
        current.message = c.message;
        current.severity = c.severity;
        continue;
      }
      const alert: Alert = { key: c.key, kind: c.kind, severity: c.severity, message: c.message, raisedAt: at, clearedAt: null };
      this.active.set(c.key, alert);
      this.history.unshift(alert);
      raised.push(alert);
    }
    for (const [key, alert] of this.active) {
      if (seen.has(key)) continue;
      alert.clearedAt = at;
      this.active.delete(key);
      cleared.push(alert);
    }
    if (this.history.length > this.size) {
      // Active alerts stay findable through `active` even when they scroll out of the history.
      this.history = this.history.slice(0, this.size);
    }
    return { raised, cleared };
  }

  activeAlerts(): Alert[] {
    return [...this.active.values()].map((a) => ({ ...a }));
  }

  recent(): Alert[] {
    return this.history.map((a) => ({ ...a }));
  }
}
