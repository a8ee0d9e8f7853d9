import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { type MpvEvent, MpvIpc } from '@stop-motion/kit';
import type { Logger } from './log.js';
import { buildMpvArgs } from './mpv-args.js';
import { type MpvEntry, planSync } from './mpv-plan.js';
import { isRunning, spawnMpvChild, stopChild, waitForSocket } from './mpv-process.js';
import { INITIAL_SUPERVISOR_STATE, type SupervisorEvent, type SupervisorState, transition } from './mpv-state.js';
import type { Player, PlayerStatus } from './player.js';
import type { PlaylistEntry, PlaylistStore } from './playlist.js';
import type { SoundSetting } from './screen-sound.js';

export { MpvIpc } from '@stop-motion/kit';
// The rest of mpv: its arguments (mpv-args.ts), the playlist plan (mpv-plan.ts), the child process (mpv-process.ts)
// and the IPC client (kit's mpv-ipc.ts, shared with the e2e harness).
export { buildMpvArgs, type MpvArgsOptions } from './mpv-args.js';
export { type MpvEntry, planSync } from './mpv-plan.js';

export interface MpvPlayerOptions {
  store: PlaylistStore;
  log: Logger;
  /** Socket of an mpv started by someone else (attach); else the player spawns its own at `ownSocket`. */
  attachSocket: string | undefined;
  ownSocket: string;
  fullscreen: boolean;
  extraArgs: string[];
  /** Shown while there are no films; null for none. */
  idleSlide: string | null;
  /** The volume and mute wanted now (applied at every start and reconnect). */
  sound?: () => SoundSetting & { quiet: boolean };
}

/**
 * mpv behind the Player interface. The playlist on disk is the truth; mpv's own
 * playlist is brought in line with it after every change and after every (re)start.
 */
export class MpvPlayer implements Player {
  private child: ChildProcess | null = null;
  private ipc: MpvIpc | null = null;
  private stopping = false;
  private sup: SupervisorState = INITIAL_SUPERVISOR_STATE;
  private nowPath: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private mpvPid: number | null = null;
  /** Held on the event slide by an operator: mpv's playlist is the slide alone until released. */
  private held = false;

  constructor(private readonly options: MpvPlayerOptions) {}

  private get socketPath(): string {
    return this.options.attachSocket ?? this.options.ownSocket;
  }

  async start(): Promise<void> {
    await this.connectOrSpawn();
  }

  /** Every change of the supervisor's state goes through here; returns when to try (re)connecting. */
  private apply(event: SupervisorEvent): number | null {
    const { next, retryInMs } = transition(this.sup, event);
    this.sup = next;
    return retryInMs;
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task, task);
    this.chain = next.catch((err: unknown) => {
      this.apply({ type: 'sync-failed', error: (err as Error).message });
      this.options.log.warn({ event: 'player.sync_failed', err: (err as Error).message }, 'player sync failed');
    });
    return this.chain;
  }

  private async connectOrSpawn(): Promise<void> {
    if (this.stopping) return;
    try {
      // An mpv that outlived a previous run of the processor (SIGKILL) is adopted, not doubled.
      let ipc = await this.connectOnce().catch(() => null);
      if (!ipc) {
        if (!this.options.attachSocket && !isRunning(this.child)) await this.spawnMpv();
        ipc = await this.connectWithRetry(5000);
      }
      this.ipc = ipc;
      this.mpvPid = ((await ipc.command('get_property', 'pid').catch(() => null)) as number | null) ?? this.child?.pid ?? null;
      await ipc.command('observe_property', 1, 'path');
      await ipc.command('observe_property', 2, 'idle-active');
      // An adopted or attached mpv was started with someone else's volume.
      await this.applySound(ipc);
      this.apply({ type: 'connected' });
      await this.serial(() => this.sync(true));
      this.apply({ type: 'ready' });
      this.options.log.info({ event: 'player.connected', socket: this.socketPath, restarts: this.sup.restarts }, 'player connected');
    } catch (err) {
      const retryInMs = this.apply({ type: 'connect-failed', error: (err as Error).message });
      this.options.log.warn(
        { event: 'player.connect_failed', err: this.sup.lastError, failures: this.sup.failures },
        'player connect failed',
      );
      if (retryInMs !== null) this.scheduleReconnect(retryInMs);
    }
  }

  private scheduleReconnect(ms: number): void {
    if (this.stopping || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectOrSpawn();
    }, ms);
  }

  private async spawnMpv(): Promise<void> {
    await rm(this.options.ownSocket, { force: true });
    const args = buildMpvArgs({
      socket: this.options.ownSocket,
      fullscreen: this.options.fullscreen,
      extraArgs: this.options.extraArgs,
      ...(this.options.sound ? { sound: this.options.sound() } : {}),
    });
    const spawned = spawnMpvChild(args);
    const { child } = spawned;
    this.child = child;
    child.once('error', (err) => {
      this.apply({ type: 'spawn-error', error: `mpv could not start: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.stopping) return;
      const ipc = this.ipc;
      this.ipc = null;
      ipc?.close();
      const words = spawned.lastWords();
      const error = `mpv exited (${signal ?? code})${words ? `: ${words.split('\n').at(-1)}` : ''}`;
      const retryInMs = this.apply({ type: 'exited', error, wasConnected: ipc !== null }) ?? 50;
      this.options.log.warn({ event: 'player.mpv_exited', code, signal, restarts: this.sup.restarts, retryInMs }, 'player mpv exited');
      this.scheduleReconnect(retryInMs);
    });
    await waitForSocket(spawned, this.options.ownSocket);
  }

  private connectOnce(): Promise<MpvIpc> {
    return MpvIpc.connect(
      this.socketPath,
      (e) => this.onEvent(e),
      (ipc) => this.onIpcClosed(ipc),
    );
  }

  private async connectWithRetry(timeoutMs: number): Promise<MpvIpc> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.connectOnce();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private onIpcClosed(ipc: MpvIpc): void {
    if (this.stopping || this.ipc !== ipc) return;
    this.ipc = null;
    const retryInMs = this.apply({ type: 'ipc-closed' });
    // A spawned mpv's exit handler restarts it; an attached or adopted one is reconnected to (or replaced).
    if (!isRunning(this.child) && retryInMs !== null) this.scheduleReconnect(retryInMs);
  }

  private onEvent(e: MpvEvent): void {
    if (e.event === 'property-change' && e.name === 'path') {
      const p = typeof e.data === 'string' ? e.data : null;
      this.nowPath = p;
      const entry = p ? this.options.store.films.find((f) => f.file === p) : undefined;
      if (entry) {
        this.options.store
          .setCurrent(entry.id)
          .catch((err: unknown) =>
            this.options.log.warn({ event: 'player.save_failed', err: (err as Error).message }, 'player save failed'),
          );
      }
    }
  }

  private desired(): string[] {
    if (this.held) return this.options.idleSlide ? [this.options.idleSlide] : [];
    const files = this.options.store.films.map((f) => f.file);
    if (files.length > 0) return files;
    return this.options.idleSlide ? [this.options.idleSlide] : [];
  }

  /** Brings mpv in line with the stored playlist; after a (re)start also resumes the film that was on screen. */
  private async sync(resume: boolean): Promise<void> {
    const ipc = this.ipc;
    if (!ipc) return;
    const desired = this.desired();
    const actual = ((await ipc.command('get_property', 'playlist')) as MpvEntry[]).map((e) => e.filename);
    for (const step of planSync(actual, desired)) {
      if (step[0] === 'append') await ipc.command('loadfile', step[1], 'append');
      else if (step[0] === 'remove') await ipc.command('playlist-remove', step[1]);
      else await ipc.command('playlist-move', step[1], step[2]);
    }
    const idle = (await ipc.command('get_property', 'idle-active')) as boolean;
    if ((idle || resume) && desired.length > 0) {
      const current = this.options.store.current;
      const at = current ? this.options.store.films.findIndex((f) => f.id === current) : -1;
      const playing = (await ipc.command('get_property', 'playlist-playing-pos').catch(() => -1)) as number;
      const target = this.held ? 0 : Math.max(0, at);
      if (idle || playing !== target) await ipc.command('set_property', 'playlist-pos', target);
    }
    this.apply({ type: 'synced', films: this.options.store.films.length });
  }

  private async applySound(ipc: MpvIpc): Promise<void> {
    if (!this.options.sound) return;
    const s = this.options.sound();
    await ipc.command('set_property', 'volume', s.volume);
    await ipc.command('set_property', 'mute', s.mute);
  }

  /** Volume or mute changed (quiet hours): applied now; a later (re)start applies it too. */
  async setSound(): Promise<void> {
    await this.serial(async () => {
      if (this.ipc) await this.applySound(this.ipc);
    });
  }

  async add(entry: PlaylistEntry): Promise<void> {
    if (await this.options.store.add(entry)) {
      this.options.log.info({ event: 'player.queued_next', id: entry.id, after: this.options.store.current }, 'player queued next');
    }
    await this.serial(() => this.sync(false));
  }

  async remove(id: string): Promise<void> {
    if (await this.options.store.remove(id)) this.options.log.info({ event: 'player.removed', id }, 'player removed');
    await this.serial(() => this.sync(false));
  }

  async restore(entry: PlaylistEntry): Promise<void> {
    await this.options.store.restore(entry);
    await this.serial(() => this.sync(false));
  }

  async skip(): Promise<void> {
    await this.serial(async () => {
      // With --loop-playlist=inf the last film wraps to the first.
      await this.ipc?.command('playlist-next', 'force');
    });
    this.options.log.info({ event: 'player.skipped', from: this.options.store.current }, 'player skipped');
  }

  async replay(id: string): Promise<boolean> {
    const at = this.options.store.films.findIndex((f) => f.id === id);
    if (at < 0 || this.held) return false;
    await this.serial(async () => {
      await this.sync(false);
      await this.ipc?.command('set_property', 'playlist-pos', at);
    });
    this.options.log.info({ event: 'player.replayed', id }, 'player replayed');
    return true;
  }

  async holdOnSlide(hold: boolean): Promise<void> {
    if (hold === this.held) return;
    this.held = hold;
    this.options.log.info(
      { event: hold ? 'player.held_on_slide' : 'player.released', hold },
      hold ? 'player held on slide' : 'player released',
    );
    // Released: the film that was on screen before resumes.
    await this.serial(() => this.sync(!hold));
    if (hold && !this.options.idleSlide) await this.serial(async () => void (await this.ipc?.command('set_property', 'pause', true)));
    if (!hold) await this.serial(async () => void (await this.ipc?.command('set_property', 'pause', false)));
  }

  status(): PlayerStatus {
    const entry = this.nowPath ? this.options.store.films.find((f) => f.file === this.nowPath) : undefined;
    return {
      kind: 'mpv',
      state: this.sup.state,
      nowPlaying: entry?.id ?? null,
      playlist: this.options.store.ids(),
      restarts: this.sup.restarts,
      lastError: this.sup.lastError,
      pid: this.mpvPid,
      ...(this.options.sound ? { sound: this.options.sound() } : {}),
      paused: this.held,
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.chain.catch(() => {});
    this.ipc?.close();
    this.ipc = null;
    await stopChild(this.child);
    this.apply({ type: 'stopped' });
  }
}
