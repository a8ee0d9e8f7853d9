import type {
  ButtonAction,
  ButtonSourceKind,
  FinishResult,
  FrameRef,
  Publish,
  StationState,
  StationTrack,
  UiSettings,
} from '@stop-motion/protocol';
import type { ConnectionStatus } from '../connection/client.js';
import { type FlowState, initialFlow } from './flow.js';

export interface Claim extends FinishResult {
  publish: Publish;
  at: number;
}

/** Everything the screens render from. */
export interface AppState {
  connection: ConnectionStatus;
  station: StationState | null;
  flow: FlowState;
  /** Bumped on each capture press: the flash animation keys on it. */
  flash: number;
  /** The frame an undo is taking away, for its leaving animation. */
  leaving: { movieId: string; frame: FrameRef; key: number } | null;
  /** Bumped when the station refused something (full, disk, camera). */
  refused: number;
  claim: Claim | null;
  diff: boolean;
  operatorOpen: boolean;
  lastError: string | null;
  /** The station's soundtracks (`GET /api/tracks`); empty: no music screen. */
  tracks: StationTrack[];
}

export const initialAppState: AppState = {
  connection: 'connecting',
  station: null,
  flow: initialFlow,
  flash: 0,
  leaving: null,
  refused: 0,
  claim: null,
  diff: false,
  operatorOpen: false,
  lastError: null,
  tracks: [],
};

/** What screens may ask for; the app's controller implements it. */
export interface Actions {
  press(action: ButtonAction, source: ButtonSourceKind): void;
  submitTitle(title: string): void;
  setTitleDraft(title: string): void;
  toggleDiff(): void;
  /** "Still there?" answered by touching it (not a button press: nothing else happens). */
  dismissIdle(): void;
  setOperatorOpen(open: boolean): void;
  setSettings(patch: Partial<Pick<UiSettings, 'locale' | 'sound' | 'onionOpacity'>>): void;
  clearLeaving(key: number): void;
  /** A touch on a music tile selects it (and plays its preview). */
  selectMusic(index: number): void;
  /** The music tile at `index` is taken. */
  chooseMusic(index: number): void;
}
