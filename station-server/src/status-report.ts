// The status reports to the processing unit: what they say, read from the station's modules, and the reporter wired to the station.
import { readFileSync } from 'node:fs';
import type { ButtonSource } from './buttons/source.js';
import type { CameraSupervisor } from './camera/supervisor.js';
import type { StationConfig } from './config.js';
import type { Delivery } from './delivery/delivery.js';
import type { DiskMonitor } from './disk.js';
import type { Logger } from './log.js';
import { outboxOldestAgeSec, type ReportBody, Reporter, readStationSecret } from './reporter.js';
import type { Station } from './station.js';
import type { MovieStore } from './store/movie-store.js';
import type { UiWatchdog } from './watchdog.js';

const SOFTWARE_VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return String(pkg.version ?? 'unknown');
  } catch {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      return String(pkg.version ?? 'unknown');
    } catch {
      return 'unknown';
    }
  }
})();

/** The modules a report reads. */
export interface ReportSources {
  config: StationConfig;
  station: Station;
  camera: CameraSupervisor;
  buttons: ButtonSource;
  delivery: Delivery;
  disk: DiskMonitor;
  watchdog: UiWatchdog;
  store: MovieStore;
}

/** A change the control room shows goes out at once, not at the next interval. */
const URGENT = new Set(['camera.status', 'buttons.status', 'disk.status', 'station.closed']);

/**
 * Starts the reports when PROCESSOR_REPORT_URL is set (null otherwise): the operator's
 * replies close the station or act on it. Returns the stops in the order they were pushed.
 */
export async function startStatusReports(
  sources: ReportSources,
  log: Logger,
): Promise<{ reporter: Reporter; stops: Array<{ name: string; stop: () => Promise<void> }> } | null> {
  const { config, station, watchdog, delivery } = sources;
  if (!config.report.url) return null;
  const secret = readStationSecret(config.delivery.rsyncPassword, config.delivery.rsyncPasswordFile);
  if (!secret) throw new Error('PROCESSOR_REPORT_URL is set but the delivery secret is empty');
  const reporter = new Reporter({
    url: config.report.url,
    stationId: config.stationId,
    secret,
    intervalMs: config.report.intervalMs,
    timeoutMs: config.report.timeoutMs,
    collect: collectReport(sources),
    onClosed: (closed) => station.setClosed(closed),
    onAction: async (action) => {
      if (action.kind === 'restart-ui') {
        if (!watchdog.restartNow())
          log.warn({ event: 'operator.restart_ui_unavailable' }, 'no UI_RESTART_COMMAND to restart the kiosk with');
      } else if (action.kind === 'redeliver') {
        delivery.kick();
      }
    },
    log: log.child({ module: 'reporter' }),
  });
  await reporter.start();
  const onEvent = (e: { name: string }) => {
    if (URGENT.has(e.name)) reporter.soon();
  };
  station.on('event', onEvent);
  return {
    reporter,
    stops: [
      { name: 'reporter-events', stop: async () => void station.off('event', onEvent) },
      { name: 'reporter', stop: () => reporter.stop() },
    ],
  };
}

/** Reads what a status report says from the station's modules; frames per second are counted between reports. */
export function collectReport(sources: ReportSources): () => Promise<ReportBody> {
  const { config, station, camera, buttons, delivery, disk, watchdog, store } = sources;
  let frames = 0;
  camera.on('frame', () => {
    frames++;
  });
  let since = performance.now();
  const startedAt = performance.now();
  return async () => {
    const now = performance.now();
    const fps = now - since > 0 ? Math.round((frames / ((now - since) / 1000)) * 10) / 10 : null;
    frames = 0;
    since = now;
    const snap = station.snapshot();
    const space = await disk.check();
    const sending = delivery.status();
    const beat = watchdog.lastBeatWallAt;
    return {
      stationId: config.stationId,
      software: SOFTWARE_VERSION,
      uptimeSec: Math.round((now - startedAt) / 1000),
      camera: { ...camera.state, fps },
      buttons: {
        ...buttons.status(),
        ...snap.buttons,
        lastPressAt: station.lastPressAt ? new Date(station.lastPressAt).toISOString() : null,
      },
      ui: {
        lastBeatAt: beat ? new Date(beat).toISOString() : null,
        secondsSinceBeat: Math.round(watchdog.secondsSinceBeat()),
        restarts: watchdog.restarts,
      },
      disk: space.totalBytes > 0 ? space : null,
      outbox: { count: sending.pending, oldestAgeSec: await outboxOldestAgeSec(store.outboxDir) },
      delivery: {
        lastSuccessAt: sending.lastSuccessAt,
        lastError: sending.lastError?.slice(0, 500) ?? null,
        lastErrorAt: sending.lastErrorAt,
      },
      film: { id: store.movieId, frameCount: store.frameCount },
      closed: station.isClosed,
    };
  };
}
