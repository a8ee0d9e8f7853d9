import { EventEmitter } from 'node:events';
import path from 'node:path';
import type {
  ButtonAction,
  ButtonSourceKind,
  ErrorCode,
  FinishParams,
  FinishResult,
  FrameRef,
  StationEvent,
  StationEventData,
  StationEventName,
  StationState,
} from '@stop-motion/protocol';
import { createPressFilter, type PressFilter } from './buttons/debounce.js';
import type { ButtonSource, ButtonsStatus } from './buttons/source.js';
import type { CameraSupervisor } from './camera/supervisor.js';
import { ClaimScreen } from './claim-screen.js';
import type { StationConfig } from './config.js';
import type { Delivery } from './delivery/delivery.js';
import type { DiskMonitor } from './disk.js';
import { claimOf, requireSoundtrack, StationError, storeChange, ticketOf } from './finished-film.js';
import type { Logger } from './log.js';
import type { Printer } from './printer/printer.js';
import type { RuntimeSettings, SettingsStore } from './settings.js';
import { stationEvent } from './station-event.js';
import { type MovieStore, StoreError } from './store/movie-store.js';
import type { Thumbnailer } from './thumbnails.js';
import type { TrackLibrary } from './tracks.js';
import type { UiWatchdog } from './watchdog.js';

export { StationError } from './finished-film.js';

export interface StationParts {
  config: StationConfig;
  log: Logger;
  store: MovieStore;
  camera: CameraSupervisor;
  buttons: ButtonSource;
  delivery: Delivery;
  disk: DiskMonitor;
  settings: SettingsStore;
  thumbnails: Thumbnailer;
  watchdog: UiWatchdog;
  printer?: Printer;
  tracks: TrackLibrary;
}

/**
 * The station's behaviour: captures, undo, finish, button presses and the state
 * every client sees. Adapters (camera, buttons, disk, delivery) feed it; the
 * WebSocket and HTTP layers only translate.
 */
export class Station extends EventEmitter<{ event: [StationEvent] }> {
  /** Told of each stored capture and how long it took from the press (metrics). */
  onCaptured: ((ms: number) => void) | null = null;
  private capturing = false;
  /** The claim screen of the film just finished; presses do not capture while it shows. */
  private readonly claim: ClaimScreen;
  private readonly filter: PressFilter;
  private buttonsStatus: ButtonsStatus;
  private readonly log: Logger;
  /** Closed for a break by the operator (through the processor): presses do nothing. */
  private closed = false;
  /** Wall-clock time of the last press from any source, for status reports. */
  lastPressAt: number | null = null;

  constructor(private readonly parts: StationParts) {
    super();
    this.setMaxListeners(0);
    this.log = parts.log;
    this.claim = new ClaimScreen(parts.config.ui.claimNext);
    this.filter = createPressFilter({
      debounceMs: parts.config.buttons.debounceMs,
      captureLockoutMs: parts.config.buttons.captureLockoutMs,
    });
    this.buttonsStatus = parts.buttons.status();
    parts.camera.on('status', (s) => this.publish('camera.status', s));
    parts.delivery.on('status', (s) => this.publish('delivery.status', s));
    parts.delivery.on('delivered', () => void parts.disk.check());
    parts.delivery.on('removed', (id) => {
      parts.store.forget(id);
      void parts.thumbnails.removeMovie(id);
    });
    parts.disk.on('status', (s) => this.publish('disk.status', s));
    parts.printer?.on('status', (s) => this.publish('printer.status', s));
  }

  /** Starts listening to the buttons. */
  async startButtons(): Promise<void> {
    await this.parts.buttons.start({
      onEdge: (edge) => {
        if (this.filter.edge(edge.action, edge.pressed, edge.at)) this.act(edge.action, 'gpio');
      },
      onPress: (action, source) => this.press(action, source),
      onStatus: (status) => {
        this.buttonsStatus = status;
        this.publish('buttons.status', status);
      },
    });
    this.buttonsStatus = this.parts.buttons.status();
  }

  snapshot(): StationState {
    const { store } = this.parts;
    const claim = this.claim.active();
    return {
      stationId: this.parts.config.stationId,
      movie: {
        id: store.movieId,
        startedAt: store.startedAt,
        fps: this.parts.config.movieFps,
        maxFrames: store.maxFrames,
        frames: store.frameRefs(),
      },
      camera: this.parts.camera.state,
      buttons: this.buttonsStatus,
      delivery: this.parts.delivery.status(),
      disk: this.parts.disk.status(),
      settings: this.parts.settings.get(),
      recent: store.recent(),
      claim: claim ? { movieId: claim.movieId, endsAt: new Date(claim.endsAt).toISOString() } : null,
      closed: this.closed,
      ...(this.parts.printer ? { printer: this.parts.printer.status() } : {}),
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the station for a break or opens it again (the operator's request in a report reply). */
  setClosed(closed: boolean): void {
    if (closed === this.closed) return;
    this.closed = closed;
    this.log.info({ event: closed ? 'station.closed' : 'station.opened' }, closed ? 'closed for a break' : 'open again');
    this.publish('station.closed', { closed });
  }

  /**
   * A press while the claim screen shows: announced (the UI counts it as activity) but
   * never a capture or an undo, so the QR code stays up for the next family to scan.
   * Only the operator's "next child" gesture ends it early. True when the press was held.
   */
  private heldByClaim(action: ButtonAction, source: ButtonSourceKind): boolean {
    const movieId = this.claim.active()?.movieId;
    const outcome = this.claim.press(action);
    if (outcome === 'free') return false;
    this.publish('button.pressed', { action, source });
    if (outcome === 'ended' && movieId) {
      this.log.info({ event: 'claim.ended', movieId, reason: 'gesture' }, 'next child gesture ended the claim screen');
      this.publish('claim.ended', { movieId, reason: 'gesture' });
    }
    return true;
  }

  private publish<N extends StationEventName>(name: N, data: StationEventData<N>): void {
    this.emit('event', stationEvent(name, data, this.log));
  }

  private refuse(reason: 'limit' | 'disk' | 'camera' | 'busy', code: ErrorCode, message: string): never {
    this.publish('capture.refused', { reason, message });
    throw new StationError(code, message);
  }

  /** A button press from any source except raw GPIO edges (which are filtered first). */
  press(action: ButtonAction, source: ButtonSourceKind): void {
    if (!this.filter.press(action, performance.now())) return;
    this.act(action, source);
  }

  /** Capture and undo are done here; play and finish belong to the UI's flow and are only announced. */
  private act(action: ButtonAction, source: ButtonSourceKind): void {
    this.lastPressAt = Date.now();
    // Closed for a break: the pause picture stays up whatever is pressed.
    if (this.closed) return;
    if (this.heldByClaim(action, source)) return;
    this.publish('button.pressed', { action, source });
    const report = (err: unknown) => {
      if (!(err instanceof StationError))
        this.log.error({ event: 'button.failed', action, err: (err as Error).message }, 'button action failed');
    };
    switch (action) {
      case 'capture':
        this.capture().catch(report);
        break;
      case 'undo':
        this.undo().catch(report);
        break;
      case 'play':
      case 'finish':
        break;
    }
  }

  async capture(): Promise<{ frame: FrameRef; frameCount: number }> {
    const { store, camera, config } = this.parts;
    if (this.parts.disk.status().full) this.refuse('disk', 'disk_full', 'the disk is nearly full');
    if (store.frameCount >= store.maxFrames) {
      this.publish('movie.limit', { movieId: store.movieId, maxFrames: store.maxFrames });
      this.refuse('limit', 'limit_reached', `the movie already has ${store.maxFrames} frames`);
    }
    if (this.capturing) this.refuse('busy', 'busy', 'a capture is in progress');
    const cameraState = camera.state.state;
    if (cameraState !== 'ok' && cameraState !== 'starting') this.refuse('camera', 'camera_unavailable', `the camera is ${cameraState}`);
    this.capturing = true;
    const pressedAt = performance.now();
    try {
      let frame: Awaited<ReturnType<CameraSupervisor['nextFrame']>>;
      try {
        frame = await camera.nextFrame(pressedAt + config.captureSettleMs, config.captureSettleMs + config.camera.stallMs + 500);
      } catch (err) {
        this.refuse('camera', 'camera_unavailable', (err as Error).message);
      }
      const thumbnail = this.parts.thumbnails.fromCapture(frame.data);
      let stored: Awaited<ReturnType<MovieStore['addFrame']>>;
      try {
        stored = await store.addFrame(frame.data);
      } catch (err) {
        if (err instanceof StoreError && err.code === 'limit_reached') this.refuse('limit', 'limit_reached', err.message);
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
          void this.parts.disk.check();
          this.refuse('disk', 'disk_full', 'the disk is full');
        }
        throw err;
      }
      const ms = performance.now() - pressedAt;
      this.onCaptured?.(ms);
      this.log.debug({ event: 'frame.added', movieId: stored.movieId, file: stored.frame.file, ms: Math.round(ms) }, 'frame stored');
      thumbnail.stored(stored.movieId, path.join(store.currentDir, stored.movieId, stored.frame.file));
      this.publish('frame.added', { movieId: stored.movieId, frame: stored.frame, frameCount: stored.frameCount });
      if (stored.frameCount >= store.maxFrames) this.publish('movie.limit', { movieId: stored.movieId, maxFrames: store.maxFrames });
      return { frame: stored.frame, frameCount: stored.frameCount };
    } finally {
      this.capturing = false;
    }
  }

  async undo(): Promise<{ frameCount: number }> {
    const r = await storeChange(() => this.parts.store.undo());
    this.publish('frame.removed', { movieId: r.movieId, file: r.removed, frameCount: r.frameCount });
    return { frameCount: r.frameCount };
  }

  async finish(params: FinishParams): Promise<FinishResult> {
    const { title, soundtrack, publish } = params;
    await requireSoundtrack(this.parts.tracks, soundtrack);
    const locale = this.parts.settings.get().locale;
    const outcome = await storeChange(() => this.parts.store.finish({ publish, title, locale, soundtrack }));
    this.log.info(
      {
        event: 'movie.finished',
        movieId: outcome.movieId,
        frames: outcome.frameCount,
        publish,
        ...(soundtrack ? { soundtrack } : {}),
        ...(params.abandoned ? { abandoned: true } : {}),
      },
      'movie finished',
    );
    // Nobody is there to scan an abandoned film's code, so no claim screen holds the buttons.
    if (params.abandoned) this.claim.cancel();
    else this.claim.begin(outcome.movieId, this.parts.settings.get().claimSeconds);
    this.publish('movie.finished', {
      movieId: outcome.movieId,
      publish,
      frameCount: outcome.frameCount,
      recent: this.parts.store.recent(),
    });
    this.publishMovieStarted();
    this.parts.delivery.kick();
    void this.parts.disk.check();
    const result = claimOf(outcome, this.parts.config.ui.galleryPublicUrl);
    // The ticket is for the family at the station: an abandoned film has nobody to take it.
    if (!params.abandoned) this.parts.printer?.submit(ticketOf(outcome, result, { publish, locale, store: this.parts.store }));
    return result;
  }

  async clear(): Promise<{ movieId: string }> {
    const { clearedId } = await this.parts.store.clear();
    void this.parts.thumbnails.removeMovie(clearedId);
    this.publish('movie.cleared', { movieId: clearedId });
    this.publishMovieStarted();
    return { movieId: this.parts.store.movieId };
  }

  private publishMovieStarted(): void {
    this.publish('movie.started', { movie: this.snapshot().movie });
  }

  async setSettings(change: RuntimeSettings) {
    const settings = await this.parts.settings.set(change);
    this.publish('settings.changed', settings);
    return settings;
  }

  heartbeat(): void {
    this.parts.watchdog.heartbeat();
  }
}
