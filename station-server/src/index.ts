import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { probeHealth, SystemdNotifier } from '@stop-motion/kit';
import { GpiomonButtons } from './buttons/gpiomon.js';
import { ButtonLeds, ledStates } from './buttons/leds.js';
import { OnoffButtons } from './buttons/onoff.js';
import { type ButtonSource, NoButtons, SimButtons } from './buttons/source.js';
import { type Camera, createCamera } from './camera/camera.js';
import { CameraSupervisor } from './camera/supervisor.js';
import { loadConfig, type StationConfig } from './config.js';
import { Delivery } from './delivery/delivery.js';
import { DiskMonitor } from './disk.js';
import { createLogger, type Logger } from './log.js';
import { StationMetrics } from './metrics.js';
import { Printer } from './printer/printer.js';
import type { Reporter } from './reporter.js';
import { startHttp } from './server/http.js';
import { SettingsStore } from './settings.js';
import { Station } from './station.js';
import { startStatusReports } from './status-report.js';
import { MovieStore } from './store/movie-store.js';
import { Thumbnailer } from './thumbnails.js';
import { TrackLibrary } from './tracks.js';
import { UiWatchdog } from './watchdog.js';

export { JpegSplitter } from './camera/jpeg-splitter.js';
export { loadConfig, type StationConfig } from './config.js';
export { Station, StationError } from './station.js';

export interface RunningStation {
  url: string;
  config: StationConfig;
  station: Station;
  store: MovieStore;
  camera: CameraSupervisor;
  delivery: Delivery;
  reporter: Reporter | null;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Environment to read the config from (default process.env); ignored when `config` is given. */
  env?: NodeJS.ProcessEnv;
  config?: StationConfig;
  log?: Logger;
  /** Replaces the camera chosen by CAMERA (tests). */
  camera?: Camera;
  /** Replaces the buttons chosen by BUTTONS (tests). */
  buttons?: ButtonSource;
  /** Replaces the free-space measurement (tests). */
  statfs?: (dir: string) => Promise<{ freeBytes: number; totalBytes: number }>;
  /** Replaces the UI watchdog's clock, in milliseconds (tests). */
  watchdogClock?: () => number;
}

function createButtons(config: StationConfig, log: Logger): ButtonSource {
  const b = config.buttons;
  switch (b.kind) {
    case 'sim':
      return new SimButtons();
    case 'none':
      return new NoButtons();
    case 'gpiomon':
      return new GpiomonButtons({ chip: b.chip, pins: b.pins, log });
    case 'onoff':
      return new OnoffButtons({ pins: b.pins, log });
  }
}

/**
 * The composition root: config → adapters → core → server. Modules start in this
 * order and stop in reverse; whatever failed to start is stopped again.
 */
export async function startStation(opts: StartOptions = {}): Promise<RunningStation> {
  let config = opts.config;
  if (!config) {
    const loaded = loadConfig(opts.env ?? process.env);
    if (!loaded.ok) throw new Error(`invalid configuration:\n  ${loaded.errors.join('\n  ')}`);
    config = loaded.config;
  }
  const log = opts.log ?? createLogger(config.logLevel);
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log.error({ event: 'stop.failed', module: s.name, err: (err as Error).message }, 'module failed to stop');
      }
    }
    stops.length = 0;
  };

  try {
    const settings = new SettingsStore(config, log.child({ module: 'settings' }));
    const store = new MovieStore({
      dataDir: config.dataDir,
      stationId: config.stationId,
      fps: config.movieFps,
      width: config.camera.width,
      height: config.camera.height,
      maxFrames: config.maxFrames,
      recentLimit: config.recentMovies,
      log: log.child({ module: 'store' }),
    });
    await store.open();
    await settings.open();

    const camera = new CameraSupervisor(
      opts.camera ?? createCamera(config.camera, log.child({ module: 'camera' })),
      { stallMs: config.camera.stallMs, width: config.camera.width, height: config.camera.height },
      log.child({ module: 'camera' }),
    );
    const buttons = opts.buttons ?? createButtons(config, log.child({ module: 'buttons' }));
    const delivery = new Delivery({
      config: config.delivery,
      outboxDir: store.outboxDir,
      sentDir: store.sentDir,
      log: log.child({ module: 'delivery' }),
    });
    const disk = new DiskMonitor({
      dir: config.dataDir,
      policy: config.disk,
      log: log.child({ module: 'disk' }),
      statfs: opts.statfs,
      removeOldestSent: async () => {
        const oldest = (await delivery.sentByAge())[0];
        if (!oldest) return false;
        log.warn({ event: 'disk.cleanup', movieId: oldest.id }, 'disk low: removing the oldest sent package');
        await delivery.removeSent(oldest.id);
        return true;
      },
    });
    const thumbnails = new Thumbnailer({ dir: path.join(config.dataDir, 'cache', 'thumbs'), log: log.child({ module: 'thumbs' }) });
    const watchdog = new UiWatchdog({
      ...config.watchdog,
      log: log.child({ module: 'watchdog' }),
      ...(opts.watchdogClock ? { now: opts.watchdogClock } : {}),
    });
    const printer = new Printer({
      queue: config.printer.queue,
      publish: config.printer.publish,
      paperMm: config.printer.paperMm,
      lpOptions: config.printer.lpOptions,
      jobTimeoutMs: config.printer.jobTimeoutSeconds * 1000,
      checkIntervalMs: config.printer.checkSeconds * 1000,
      busyCheckIntervalMs: 1000,
      commandTimeoutMs: config.printer.commandTimeoutSeconds * 1000,
      cupsServer: config.printer.cupsServer,
      eventName: config.printer.eventName,
      fonts: config.printer.fonts,
      workDir: path.join(config.dataDir, 'cache', 'tickets'),
      log: log.child({ module: 'printer' }),
    });
    const tracks = new TrackLibrary({ dir: config.tracksDir, log: log.child({ module: 'tracks' }) });
    const station = new Station({
      config,
      tracks,
      log: log.child({ module: 'station' }),
      store,
      camera,
      buttons,
      delivery,
      disk,
      settings,
      thumbnails,
      watchdog,
      printer,
    });

    await disk.start();
    stops.push({ name: 'disk', stop: () => disk.stop() });
    stops.push({ name: 'thumbnails', stop: () => thumbnails.stop() });
    await camera.start();
    stops.push({ name: 'camera', stop: () => camera.stop() });
    await station.startButtons();
    stops.push({ name: 'buttons', stop: () => buttons.stop() });
    await delivery.start();
    stops.push({ name: 'delivery', stop: () => delivery.stop() });
    await watchdog.start();
    stops.push({ name: 'watchdog', stop: () => watchdog.stop() });
    // A printer that cannot be reached is a status, never a reason not to start.
    await printer.start();
    stops.push({ name: 'printer', stop: () => printer.stop() });
    if (config.buttons.ledPins.length > 0) {
      const leds = new ButtonLeds({ chip: config.buttons.chip, pins: config.buttons.ledPins, log: log.child({ module: 'leds' }) });
      await leds.start();
      const refresh = () => leds.update(ledStates(station.snapshot()));
      station.on('event', refresh);
      refresh();
      stops.push({
        name: 'leds',
        stop: async () => {
          station.off('event', refresh);
          await leds.stop();
        },
      });
    }

    const reports = await startStatusReports({ config, station, camera, buttons, delivery, disk, watchdog, store }, log);
    if (reports) stops.push(...reports.stops);
    const reporter = reports?.reporter ?? null;

    const metrics = new StationMetrics({ station, camera, delivery });
    station.onCaptured = (ms) => metrics.captured(ms);
    stops.push({ name: 'metrics', stop: async () => metrics.stop() });
    const http = await startHttp({
      metrics,
      config,
      station,
      store,
      camera,
      thumbnails,
      tracks,
      sim: buttons instanceof SimButtons ? buttons : undefined,
      serverStartId: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
      log,
    });
    stops.push({ name: 'http', stop: () => http.close() });
    log.info(
      { event: 'service.listening', url: http.url, stationId: config.stationId, camera: config.camera.kind, buttons: config.buttons.kind },
      'listening',
    );
    // WATCHDOG only while the server answers its own /healthz: a wedged server is restarted, not only a dead one.
    const notifier = new SystemdNotifier({ log: log.child({ module: 'systemd' }), check: () => probeHealth(http.url, 5000) });
    await notifier.ready();
    stops.push({ name: 'systemd', stop: () => notifier.stop() });

    return { url: http.url, config, station, store, camera, delivery, reporter, close: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
