// The control room's alerts: the conditions of the moment from the status and the probes,
// the player's recent restarts, and the webhook a critical alert is posted to.
import type { Alert, StationView } from '@stop-motion/protocol';
import { type Condition, evaluateAlerts } from './alerts.js';
import type { Probes } from './control-probes.js';
import type { StatusJob, StatusPlayer } from './control-snapshot.js';
import { errorMessage } from './files.js';
import type { Logger } from './log.js';

/** How far back mpv's restarts count towards a "keeps restarting" alert. */
const RESTART_WINDOW_MS = 180_000;

/** Counts mpv's restarts within the recent window from the running total the status gives. */
export class RestartWindow {
  private times: number[] = [];
  private lastTotal: number | null = null;

  /** The restarts within the window, `total` being the player's count now. */
  note(total: number, now: number): number {
    if (this.lastTotal !== null && total > this.lastTotal) this.times.push(now);
    this.lastTotal = total;
    this.times = this.times.filter((t) => now - t < RESTART_WINDOW_MS);
    return this.times.length;
  }
}

export interface ConditionInput {
  jobs: readonly StatusJob[];
  stations: readonly StationView[];
  probes: Probes;
  player: StatusPlayer;
  playerRecentRestarts: number;
  /** Render failures and quarantines since this instant (ms) are alerts. */
  since: number;
}

/** Every condition that holds now: the stations', the services', the player's, and recent failures and quarantines. */
export function controlConditions({ jobs, stations, probes, player, playerRecentRestarts, since }: ConditionInput): Condition[] {
  const recent = jobs.filter((j) => (j.state === 'failed' || j.state === 'quarantined') && Date.parse(j.updatedAt ?? '') >= since);
  const conditions = evaluateAlerts({
    stations,
    failures: recent
      .filter((j) => j.state === 'failed')
      .map((j) => ({ id: j.id, reason: j.reason, title: j.title, stationId: j.stationId })),
    s3: probes.s3,
    redis: probes.redis,
    gallery: probes.gallery,
    player,
    playerRecentRestarts,
  });
  for (const q of recent.filter((j) => j.state === 'quarantined')) {
    conditions.push({
      key: `film.quarantined:${q.id}`,
      kind: 'film.quarantined',
      severity: 'warn',
      message: `Package ${q.id}${q.stationId ? ` from station ${q.stationId}` : ''} was quarantined: ${(q.reason ?? '').slice(0, 160)}`,
    });
  }
  return conditions;
}

/** Posts a critical alert to the webhook: under a deadline, never awaited, never logging the URL (it may hold a key). */
export function postAlert(url: string | undefined, alert: Alert, log: Logger): void {
  if (!url || alert.severity !== 'critical') return;
  const state = alert.clearedAt ? 'cleared' : 'raised';
  const body = JSON.stringify({ text: `${state === 'cleared' ? '✅ cleared' : '🚨'} ${alert.message}`, event: `alert.${state}`, alert });
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) })
    .then(async (res) => {
      await res.body?.cancel();
      if (!res.ok) log.warn({ event: 'alert.webhook_failed', alert: alert.key, status: res.status }, 'alert webhook failed');
    })
    .catch((err: unknown) =>
      log.warn({ event: 'alert.webhook_failed', alert: alert.key, err: errorMessage(err).slice(0, 120) }, 'alert webhook failed'),
    );
}
