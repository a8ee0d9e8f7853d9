import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LoopBeats, SystemdNotifier, serveMetrics } from '@stop-motion/kit';
import type { FilmNotice } from '@stop-motion/protocol';
import { REPORT_PATH } from '@stop-motion/protocol';
import { ConfigError, loadConfig, type ProcessorConfig } from './config.js';
import { ControlRoom } from './control.js';
import { errorMessage } from './files.js';
import { makeIdleSlide } from './idle-slide.js';
import { JobStore } from './jobs.js';
import { createLogger, type Logger } from './log.js';
import { ProcessorMetrics } from './metrics.js';
import { MpvPlayer } from './mpv.js';
import { Notices } from './notices.js';
import { Pipeline } from './pipeline.js';
import { NonePlayer, type Player } from './player.js';
import { PlaylistStore } from './playlist.js';
import { HiddenSet, Reconciler } from './reconcile.js';
import { RefusalNotices } from './refusals.js';
import { Retention } from './retention.js';
import { ReviewQueue, registerReviewRoutes, renderReviewSection } from './review.js';
import { applyToolScheduling } from './scheduling.js';
import { ScreenSound } from './screen-sound.js';
import { StationBook } from './station-reports.js';
import { startReportServer, startStatusServer } from './status.js';
import { createS3 } from './upload.js';
import { WriteOnceUploader } from './write-once.js';

export { buildRenderArgs, outputSize } from './args.js';
export { ConfigError, loadConfig, type ProcessorConfig } from './config.js';
export type { ControlRoom } from './control.js';
export type { Pipeline } from './pipeline.js';
export { prepareTitleCard } from './title.js';

export interface Processor {
  url: string;
  config: ProcessorConfig;
  pipeline: Pipeline;
  player: Player;
  retention: Retention;
  metrics: ProcessorMetrics;
  review: ReviewQueue;
  control: ControlRoom;
  /** Where stations report, when they have a listener of their own (REPORT_PORT). */
  reportUrl: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

/** Composition root, in-process: config → adapters → core → server. */
export async function startProcessor(config: ProcessorConfig = loadConfig(), opts: StartOptions = {}): Promise<Processor> {
  const log = opts.logger ?? createLogger(config.logLevel);
  // A missing font would only show as three failed renders per film; say so at start instead.
  const missing = [config.fontFile, config.fontFileBold].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new ConfigError(missing.map((f) => `TITLE_FONT: font file not found: ${f}`));
  if (config.titleLogo && !existsSync(config.titleLogo)) throw new ConfigError([`TITLE_LOGO: file not found: ${config.titleLogo}`]);
  await mkdir(config.dataDir, { recursive: true });
  await mkdir(config.inboxDir, { recursive: true });
  await applyToolScheduling(config.renderScheduling, log);
  const stopping: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stopping.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.warn({ event: 'stop.failed', err: errorMessage(err) }, 'stop failed');
      }
    }
    stopping.length = 0;
  };
  try {
    const jobs = new JobStore(config.dataDir);
    const playlist = new PlaylistStore(config.dataDir, config.playlistMax);
    await playlist.load();
    let player: Player | null = null;
    const sound = new ScreenSound({
      config: { volume: config.screenVolume, mute: config.screenMute, quietHours: config.screenQuietHours, timeZone: config.eventTimeZone },
      apply: async () => player?.setSound?.(),
      log: log.child({ module: 'player' }),
    });
    if (config.player === 'mpv') {
      player = new MpvPlayer({
        store: playlist,
        log: log.child({ module: 'player' }),
        attachSocket: config.mpvSocket,
        ownSocket: path.join(config.dataDir, 'mpv.sock'),
        fullscreen: config.mpvFullscreen,
        extraArgs: config.mpvExtraArgs,
        idleSlide: await makeIdleSlide(config, log),
        sound: () => sound.current(),
      });
    } else {
      player = new NonePlayer(playlist);
    }
    const screen = player;
    await screen.start();
    stopping.push(() => screen.stop());
    sound.start();
    stopping.push(async () => sound.stop());
    const deadlines = { callMs: config.s3TimeoutMs, minBytesPerSecond: config.s3MinUploadBytesPerSecond };
    const uploader = config.s3
      ? new WriteOnceUploader(createS3(config.s3, deadlines), config.s3.bucket, log.child({ module: 'upload' }), deadlines)
      : null;
    if (!uploader) log.warn({ event: 'upload.disabled' }, 'S3_BUCKET is not set; public films stay on this machine');
    let pipeline: Pipeline | null = null;
    let notices: Notices | null = null;
    let reconciler: Reconciler | null = null;
    const hidden = new HiddenSet(config.dataDir);
    await hidden.load();
    if (config.redisUrl) {
      const onNotice = (n: FilmNotice) => {
        if (!pipeline) return;
        const p = pipeline;
        const r = reconciler;
        const task =
          n.type === 'film.removed'
            ? // Off the screen at once; the local copy goes once the tombstone in S3 confirms it.
              p.takeDown(n.id, n.type).then(() => r?.checkRemoved(n.id, 'notice'))
            : n.type === 'film.hidden'
              ? p.takeDown(n.id, n.type).then(() => hidden.add(n.id))
              : n.type === 'film.unhidden'
                ? p.showAgain(n.id).then(() => hidden.delete(n.id))
                : null;
        task?.catch((err: unknown) => log.warn({ event: 'notice.failed', id: n.id, err: errorMessage(err) }, 'notice failed'));
      };
      // Whatever was announced while Redis was away is read from the bucket instead.
      const onReady = () => void reconciler?.run('redis reconnected');
      notices = new Notices(config.redisUrl, log.child({ module: 'redis' }), onNotice, onReady);
      await notices.start();
      const n = notices;
      stopping.push(() => n.stop());
    }
    const retention = new Retention({
      config: config.retention,
      dirs: {
        inbox: config.inboxDir,
        quarantine: path.join(config.dataDir, 'quarantine'),
        films: path.join(config.dataDir, 'films'),
        data: config.dataDir,
      },
      log: log.child({ module: 'retention' }),
      // Until the pipeline is up, everything counts as needed.
      isProtected: (id) => pipeline?.isProtected(id) ?? true,
    });
    const metrics = new ProcessorMetrics({ jobs, player: screen, inboxDir: config.inboxDir });
    const filmsDir = path.join(config.dataDir, 'films');
    let takeDown = async (_id: string, _why: string) => {};
    const refusals = uploader
      ? new RefusalNotices({ jobs, put: (r) => uploader.putRefusal(r), log: log.child({ module: 'review' }) })
      : null;
    if (refusals) stopping.push(() => refusals.stop());
    const review = new ReviewQueue({
      jobs,
      player: screen,
      log: log.child({ module: 'review' }),
      filmsDir,
      moderation: config.moderation,
      onScreen: config.reviewOnScreen,
      uploads: uploader !== null,
      takeDown: (id, why) => takeDown(id, why),
      ...(refusals ? { refused: (id: string, decision: 'private' | 'takedown') => refusals.refused(id, decision) } : {}),
    });
    const beats = new LoopBeats(['render']);
    pipeline = new Pipeline({
      config,
      log: log.child({ module: 'pipeline' }),
      jobs,
      player: screen,
      uploader,
      notices,
      uploadRetryCapMs: config.uploadRetryCapMs,
      retention,
      review,
      beats,
    });
    const p = pipeline;
    takeDown = (id, why) => p.takeDown(id, why);
    await p.start();
    // After the pipeline has read the job files: the refusals of the last 30 days, told again.
    refusals?.start();
    stopping.push(() => p.stop());
    if (uploader) {
      const r = new Reconciler({
        ...p.removalDeps(),
        log: log.child({ module: 'reconcile' }),
        uploader,
        hidden,
        showAgain: (id) => p.showAgain(id),
        intervalMs: config.reconcileMs,
      });
      reconciler = r;
      p.extraStatus = () => ({ reconcile: r.last, s3ConditionalWrites: uploader.conditionalWrites });
      r.start();
      stopping.push(() => r.stop());
    }
    retention.start();
    stopping.push(() => retention.stop());
    const book = new StationBook({
      secretsDir: config.control.secretsDir,
      stateFile: path.join(config.dataDir, 'control', 'stations.json'),
      thresholds: config.control.thresholds,
      windowMs: config.control.reportWindowMs,
      log: log.child({ module: 'stations' }),
    });
    await book.load();
    const n = notices;
    const control = new ControlRoom({
      book,
      sources: {
        status: () => p.status(),
        takeDown: (id, why) => p.takeDown(id, why),
        screen: player,
        ...(n ? { pingRedis: (ms: number) => n.ping(ms) } : {}),
      },
      token: config.control.token,
      s3: config.s3,
      galleryHealthUrl: config.control.galleryHealthUrl,
      webhookUrl: config.control.webhookUrl,
      eventTimeZone: config.eventTimeZone,
      eventName: config.eventName,
      tickMs: 1000,
      probeMs: config.control.probeMs,
      probeTimeoutMs: config.control.probeTimeoutMs,
      renderAlertMs: config.control.renderAlertMs,
      log: log.child({ module: 'control' }),
    });
    if (config.moderation === 'pre') {
      // The review queue on the control room itself: play, approve, make private, take down.
      control.embed(`${renderReviewSection()}<script src="/review/review.js" defer></script>`);
    }
    await control.start();
    stopping.push(() => control.stop());
    if (!control.enabled)
      log.info({ event: 'control.off' }, 'CONTROL_TOKEN is not set; the control room page is off (station reports are still taken)');
    let reportUrl: string | null = null;
    if (config.control.reportListen) {
      const reports = await startReportServer(control, config.control.reportListen, log.child({ module: 'reports' }));
      reportUrl = reports.url;
      stopping.push(() => reports.app.close());
    }
    const server = await startStatusServer({
      host: config.host,
      port: config.port,
      token: config.statusToken,
      allowedHosts: config.allowedHosts,
      allowedOrigins: config.allowedOrigins,
      log: log.child({ module: 'status' }),
      pipeline: p,
      // The control room checks CONTROL_TOKEN itself; station reports carry their station's signature.
      ownAuth: ['/api/review', '/review', '/control', REPORT_PATH, '/api/stations', '/api/control'],
      extend: (app) => {
        control.register(app, { reports: !config.control.reportListen });
        serveMetrics(app, metrics.registry);
        registerReviewRoutes(app, review, config.controlToken, log.child({ module: 'review' }));
      },
    });
    stopping.push(() => server.app.close());
    // READY once listening; WATCHDOG only while the render loop goes round (or reports ffmpeg's progress).
    const notifier = new SystemdNotifier({ log: log.child({ module: 'systemd' }), check: () => beats.stuck(config.watchdogLoopMs) });
    await notifier.ready();
    stopping.push(() => notifier.stop());
    return { url: server.url, config, pipeline: p, player, retention, metrics, review, control, reportUrl, close };
  } catch (err) {
    await close();
    throw err;
  }
}
