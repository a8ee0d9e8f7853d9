// What the control room shows, as one value: built from the processor's status, the
// stations' views, the probes and the alerts. Pure; the room (control.ts) gathers the parts.
import type { Alert, StationView } from '@stop-motion/protocol';
import type { Probes } from './control-probes.js';

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

/** A job as the status lists it: the fields the control room reads. */
export type StatusJob = {
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

export interface StatusPlayer {
  kind: string;
  state: string;
  restarts: number;
  lastError: string | null;
  paused?: boolean;
}

/** The parts of the processor's status the control room reads, each with what its absence means. */
export interface StatusParts {
  jobs: StatusJob[];
  player: StatusPlayer;
  playlist: string[];
  nowPlaying: string | null;
  quarantine: ControlSnapshot['quarantine'];
  uploadsWaiting: ControlSnapshot['uploadsWaiting'];
}

export function statusParts(status: Record<string, unknown>): StatusParts {
  return {
    jobs: (status.jobs as StatusJob[] | undefined) ?? [],
    player: (status.player as StatusPlayer | undefined) ?? { kind: 'none', state: 'off', restarts: 0, lastError: null },
    playlist: (status.playlist as string[] | undefined) ?? [],
    nowPlaying: (status.nowPlaying as string | null | undefined) ?? null,
    quarantine: (status.quarantine as ControlSnapshot['quarantine'] | undefined) ?? [],
    uploadsWaiting: (status.uploadsWaiting as ControlSnapshot['uploadsWaiting'] | undefined) ?? [],
  };
}

/** The day (YYYY-MM-DD) of an instant in the event's time zone. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The day's counts from the job list. Pure: films made (rendered or later) whose package arrived that day. */
export function dayCounts(jobs: readonly StatusJob[], timeZone: string, now: Date): ControlSnapshot['today'] {
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

export interface SnapshotParts {
  now: number;
  eventName: string;
  eventTimeZone: string;
  status: StatusParts;
  stations: StationView[];
  alerts: ControlSnapshot['alerts'];
  services: Probes;
  sections: ControlSnapshot['sections'];
}

/** The film after the one playing, or null when nothing else would play (an empty playlist, or one film on its own). */
function nextFilm(playlist: readonly string[], nowPlaying: string | null): string | null {
  const at = playlist.indexOf(nowPlaying ?? '');
  const next = playlist.length === 0 ? null : (playlist[(at + 1) % playlist.length] ?? null);
  return next === nowPlaying && playlist.length <= 1 ? null : next;
}

export function buildSnapshot({
  now,
  eventName,
  eventTimeZone,
  status,
  stations,
  alerts,
  services,
  sections,
}: SnapshotParts): ControlSnapshot {
  const { jobs, player, playlist, nowPlaying } = status;
  return {
    time: new Date(now).toISOString(),
    eventName,
    stations,
    alerts,
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
    quarantine: status.quarantine.slice(-20),
    screen: {
      kind: player.kind,
      state: player.state,
      nowPlaying,
      next: nextFilm(playlist, nowPlaying),
      playlistLength: playlist.length,
      restarts: player.restarts,
      lastError: player.lastError,
      held: player.paused === true,
    },
    uploadsWaiting: status.uploadsWaiting,
    services,
    today: dayCounts(jobs, eventTimeZone, new Date(now)),
    sections,
  };
}
