import type { PlayerStatus } from '@stop-motion/protocol';

/** What the big screen's supervisor knows about its mpv; changed only by `transition`. */
export interface SupervisorState {
  state: PlayerStatus['state'];
  /** mpv exits seen (each one restarted). */
  restarts: number;
  /** Failed starts in a row: the restart delay grows with them (a missing or broken mpv must not spin). */
  failures: number;
  lastError: string | null;
}

export type SupervisorEvent =
  /** The IPC socket answers; the playlist sync follows. */
  | { type: 'connected' }
  /** Connected and synced: the start counts as a success. */
  | { type: 'ready' }
  | { type: 'connect-failed'; error: string }
  /** mpv could not be spawned at all (ENOENT and the like); its exit follows. */
  | { type: 'spawn-error'; error: string }
  /** The spawned mpv exited; `wasConnected`: it had answered since it was started. */
  | { type: 'exited'; error: string; wasConnected: boolean }
  /** The IPC socket closed while mpv may still run (an attached or adopted mpv). */
  | { type: 'ipc-closed' }
  | { type: 'synced'; films: number }
  | { type: 'sync-failed'; error: string }
  | { type: 'stopped' };

export const INITIAL_SUPERVISOR_STATE: SupervisorState = { state: 'starting', restarts: 0, failures: 0, lastError: null };

/** How long to wait before the next start after `failures` failed ones in a row. */
export function retryDelay(failures: number): number {
  return Math.min(10_000, 50 * 2 ** Math.min(failures, 8));
}

/** A quick reconnect: mpv ran fine until now, so it is most likely back at once. */
const QUICK_RETRY_MS = 50;

/**
 * The supervisor's one state transition: the next state, and when to try (re)connecting,
 * or null for not now. Pure, so every case has a table test.
 */
export function transition(s: SupervisorState, e: SupervisorEvent): { next: SupervisorState; retryInMs: number | null } {
  switch (e.type) {
    case 'connected':
      return { next: { ...s, state: 'playing' }, retryInMs: null };
    case 'ready':
      return { next: { ...s, failures: 0 }, retryInMs: null };
    case 'connect-failed': {
      const failures = s.failures + 1;
      return { next: { ...s, state: 'restarting', failures, lastError: e.error }, retryInMs: retryDelay(failures) };
    }
    case 'spawn-error':
      return { next: { ...s, lastError: e.error }, retryInMs: null };
    case 'exited': {
      // Never connected since the last start: it failed to start, so back off.
      const failures = e.wasConnected ? s.failures : s.failures + 1;
      const next: SupervisorState = { ...s, state: 'restarting', restarts: s.restarts + 1, failures, lastError: e.error };
      return { next, retryInMs: failures > 0 ? retryDelay(failures) : QUICK_RETRY_MS };
    }
    case 'ipc-closed':
      return { next: { ...s, state: 'restarting' }, retryInMs: QUICK_RETRY_MS };
    case 'synced':
      return { next: { ...s, state: e.films > 0 ? 'playing' : 'idle' }, retryInMs: null };
    case 'sync-failed':
      return { next: { ...s, lastError: e.error }, retryInMs: null };
    case 'stopped':
      return { next: { ...s, state: 'off' }, retryInMs: null };
  }
}
