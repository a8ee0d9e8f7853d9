import type { PlayerStatus } from '@stop-motion/protocol';
import type { PlaylistEntry, PlaylistStore } from './playlist.js';

export type { PlayerStatus } from '@stop-motion/protocol';

/** The big screen. Films are added to play next; taken-down films leave at once. */
export interface Player {
  start(): Promise<void>;
  stop(): Promise<void>;
  add(entry: PlaylistEntry): Promise<void>;
  remove(id: string): Promise<void>;
  restore(entry: PlaylistEntry): Promise<void>;
  /** The operator's volume or mute changed (quiet hours started or ended). */
  setSound?(): Promise<void>;
  status(): PlayerStatus;
  /** Operator actions from the control room. */
  skip(): Promise<void>;
  /** Plays this film now; false when it is not on the playlist. */
  replay(id: string): Promise<boolean>;
  /** Holds the screen on the event slide (true) or goes back to the films (false). */
  holdOnSlide(hold: boolean): Promise<void>;
}

/** No screen: the playlist is still kept, so status and a later switch to mpv agree. */
export class NonePlayer implements Player {
  constructor(private readonly store: PlaylistStore) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async add(entry: PlaylistEntry): Promise<void> {
    await this.store.add(entry);
  }
  async remove(id: string): Promise<void> {
    await this.store.remove(id);
  }
  async restore(entry: PlaylistEntry): Promise<void> {
    await this.store.restore(entry);
  }
  async skip(): Promise<void> {}
  async replay(id: string): Promise<boolean> {
    return this.store.ids().includes(id);
  }
  async holdOnSlide(): Promise<void> {}
  status(): PlayerStatus {
    return { kind: 'none', state: 'off', nowPlaying: null, playlist: this.store.ids(), restarts: 0, lastError: null, pid: null };
  }
}
