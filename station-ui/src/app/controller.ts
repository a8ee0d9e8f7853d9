import type { ButtonAction, ButtonSourceKind, Publish, StationEvent, StationState, StationTrack, UiSettings } from '@stop-motion/protocol';
import { type ConnectionStatus, RequestError, type StationClient } from '../shared/connection/client.js';
import { type Actions, type AppState, initialAppState } from '../shared/model/app-state.js';
import {
  type Command,
  chooseMusic,
  claimDone,
  type FlowContext,
  finished,
  press,
  type Screen,
  selectMusic,
  submitTitle,
} from '../shared/model/flow.js';
import { applyEvent } from '../shared/model/station.js';
import { playSound, type SoundName } from '../shared/theme/sounds.js';
import { idleTick } from './idle.js';
import { mergeSnapshot } from './snapshot.js';
import { fetchStationTracks, screenCanType } from './station-io.js';

type Listener = () => void;

export interface ControllerDeps {
  client: Pick<StationClient, 'request'>;
  /** The screen before a reload (server restart): the child carries on where they were. */
  resume?: Screen | null;
  now?: () => number;
  sound?: (name: SoundName, enabled: boolean) => void;
  /** False on an arcade-only station (no touch screen, no pointer): nobody could type a name there. */
  canType?: () => boolean;
  /** The station's soundtracks (default: `GET /api/tracks` on this page's station). */
  fetchTracks?: () => Promise<StationTrack[]>;
}

export { fetchStationTracks, screenCanType } from './station-io.js';

/**
 * The one place where presses become requests and server messages become state.
 * Screens read `state` and call the `Actions`; nothing else talks to the station.
 *
 * Every press, whatever its source, goes through the station (`button.press`) and
 * comes back as a `button.pressed` event: the station debounces it, does the
 * capture or undo, and tells every open UI, so all sources behave the same.
 */
export class Controller implements Actions {
  private current: AppState = initialAppState;
  private readonly listeners = new Set<Listener>();
  private lastActivity: number;
  private promptAt = 0;
  private leavingKey = 0;
  private titleDraft = '';
  private readonly now: () => number;
  private readonly sound: (name: SoundName, enabled: boolean) => void;

  constructor(private readonly deps: ControllerDeps) {
    this.now = deps.now ?? (() => Date.now());
    this.sound = deps.sound ?? playSound;
    this.lastActivity = this.now();
  }

  get state(): AppState {
    return this.current;
  }

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getState = (): AppState => this.current;

  private set(patch: Partial<AppState>): void {
    this.current = { ...this.current, ...patch };
    for (const fn of this.listeners) fn();
  }

  // ---- from the connection ----

  onStatus(connection: ConnectionStatus): void {
    this.set({ connection });
  }

  onSnapshot(station: StationState): void {
    const { flow, claim } = mergeSnapshot(this.current, station, this.deps.resume, { now: this.now(), wallNow: Date.now() });
    this.set({ station, flow, claim });
    this.loadTracks();
  }

  /** Asks the station for its tracks again (after each connection and before each music screen could show). */
  private loadTracks(): void {
    (this.deps.fetchTracks ?? fetchStationTracks)().then(
      (tracks) => this.set({ tracks }),
      (err: unknown) => this.fail(err),
    );
  }

  onEvent(event: StationEvent): void {
    if (event.name === 'button.pressed') {
      this.pressed(event.data.action);
      return;
    }
    if (event.name === 'claim.ended') {
      if (this.current.claim?.movieId === event.data.movieId || this.current.flow.screen === 'claim') {
        this.set({ flow: claimDone(this.current.flow), claim: null });
        this.lastActivity = this.now();
      }
    }
    if (event.name === 'capture.refused' || event.name === 'movie.limit') {
      if (event.name === 'capture.refused') this.sound('refused', this.soundOn());
      this.set({ refused: this.current.refused + 1 });
    }
    const station = this.current.station;
    if (station) this.set({ station: applyEvent(station, event) });
  }

  // ---- inputs (Actions) ----

  /** A key or touch press: sent to the station, acted on when it comes back as an event. */
  press(action: ButtonAction, source: ButtonSourceKind): void {
    this.lastActivity = this.now();
    this.deps.client.request('button.press', { action, source }).catch((err: unknown) => this.refusedOrFail(err));
  }

  setTitleDraft(title: string): void {
    this.titleDraft = title;
    this.lastActivity = this.now();
  }

  submitTitle(title: string): void {
    this.lastActivity = this.now();
    this.titleDraft = '';
    const step = submitTitle(this.current.flow, title);
    this.set({ flow: step.state });
    for (const command of step.commands) this.run(command);
  }

  dismissIdle(): void {
    this.lastActivity = this.now();
    if (this.current.flow.idlePrompt) this.set({ flow: { ...this.current.flow, idlePrompt: false } });
  }

  toggleDiff(): void {
    this.set({ diff: !this.current.diff });
  }

  setOperatorOpen(open: boolean): void {
    this.set({ operatorOpen: open });
  }

  setSettings(patch: Partial<Pick<UiSettings, 'locale' | 'sound' | 'onionOpacity'>>): void {
    // Shown at once (a slider must follow the finger); the station's answer then wins.
    const before = this.current.station;
    if (before) this.set({ station: { ...before, settings: { ...before.settings, ...patch } } });
    this.deps.client.request('settings.set', patch).then(
      (settings) => {
        const station = this.current.station;
        if (station) this.set({ station: { ...station, settings } });
      },
      (err: unknown) => {
        const station = this.current.station;
        if (station && before) this.set({ station: { ...station, settings: before.settings } });
        this.fail(err);
      },
    );
  }

  clearLeaving(key: number): void {
    if (this.current.leaving?.key === key) this.set({ leaving: null });
  }

  /** Called about once a second: the idle question, its expiry and the claim timeout. */
  tick(): void {
    const station = this.current.station;
    if (!station) return;
    const step = idleTick(this.current, station, { now: this.now(), promptAt: this.promptAt, lastActivity: this.lastActivity });
    if (!step) return;
    if (step.promptAt !== undefined) this.promptAt = step.promptAt;
    if (Object.keys(step.patch).length > 0) this.set(step.patch);
    if (step.activity !== undefined) this.lastActivity = step.activity;
    if (step.abandon === 'finish')
      this.deps.client.request('movie.finish', { publish: 'private', abandoned: true }).catch((err: unknown) => this.fail(err));
    if (step.abandon === 'clear') this.deps.client.request('movie.clear').catch((err: unknown) => this.fail(err));
  }

  // ---- internals ----

  /** A press the station announced (it already did any capture or undo). */
  private pressed(action: ButtonAction): void {
    this.lastActivity = this.now();
    const station = this.current.station;
    if (!station) return;
    const before = this.current.flow.screen;
    const step = press(this.current.flow, action, this.flowContext(station));
    this.set({ flow: step.state });
    if (step.state.screen === 'consent' && before !== 'consent') this.loadTracks();
    for (const command of step.commands) this.run(command);
  }

  private flowContext(station: StationState): FlowContext {
    return {
      frameCount: station.movie.frames.length,
      maxFrames: station.movie.maxFrames,
      titleEnabled: station.settings.titleEnabled && (this.deps.canType ?? screenCanType)(),
      tracks: this.current.tracks.map((t) => t.id),
    };
  }

  selectMusic(index: number): void {
    this.lastActivity = this.now();
    const station = this.current.station;
    if (station) this.set({ flow: selectMusic(this.current.flow, index, this.flowContext(station)) });
  }

  chooseMusic(index: number): void {
    this.lastActivity = this.now();
    const station = this.current.station;
    if (!station) return;
    const step = chooseMusic(this.current.flow, index, this.flowContext(station));
    this.set({ flow: step.state });
    for (const command of step.commands) this.run(command);
  }

  private run(command: Command): void {
    switch (command.kind) {
      case 'capture':
        this.sound('shutter', this.soundOn());
        this.set({ flash: this.current.flash + 1 });
        return;
      case 'undo': {
        const station = this.current.station;
        const last = station?.movie.frames.at(-1);
        if (station && last) this.set({ leaving: { movieId: station.movie.id, frame: last, key: ++this.leavingKey } });
        this.sound('undo', this.soundOn());
        return;
      }
      case 'confirmTitle':
        this.submitTitle(this.titleDraft);
        return;
      case 'finish':
        this.finish(command.publish, command.title, command.soundtrack);
        return;
      default:
        unreachable(command);
    }
  }

  private finish(publish: Publish, title?: string, soundtrack?: string): void {
    const params = { publish, ...(title ? { title } : {}), ...(soundtrack ? { soundtrack } : {}) };
    this.deps.client.request('movie.finish', params).then(
      (result) => {
        this.sound('finish', this.soundOn());
        this.set({ flow: finished(this.current.flow, true), claim: { ...result, publish, at: this.now() } });
        this.lastActivity = this.now();
      },
      (err: unknown) => {
        this.set({ flow: { ...finished(this.current.flow, false), screen: 'make', publish: null } });
        this.refusedOrFail(err);
      },
    );
  }

  private soundOn(): boolean {
    return this.current.station?.settings.sound ?? false;
  }

  private refusedOrFail(err: unknown): void {
    if (
      err instanceof RequestError &&
      ['limit_reached', 'disk_full', 'camera_unavailable', 'no_frames', 'busy', 'offline'].includes(err.code)
    ) {
      this.sound('refused', this.soundOn());
      this.set({ refused: this.current.refused + 1, lastError: err.message });
      return;
    }
    this.fail(err);
  }

  private fail(err: unknown): void {
    this.set({ lastError: err instanceof Error ? err.message : String(err) });
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled command: ${JSON.stringify(value)}`);
}
