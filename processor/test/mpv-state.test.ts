import { describe, expect, it } from 'vitest';
import { INITIAL_SUPERVISOR_STATE, retryDelay, type SupervisorEvent, type SupervisorState, transition } from '../src/mpv-state.js';

const at = (change: Partial<SupervisorState>): SupervisorState => ({ ...INITIAL_SUPERVISOR_STATE, ...change });

describe('mpv supervisor transition', () => {
  const cases: Array<[string, SupervisorState, SupervisorEvent, SupervisorState, number | null]> = [
    ['connected: playing', at({}), { type: 'connected' }, at({ state: 'playing' }), null],
    [
      'ready: failed starts forgotten',
      at({ state: 'playing', failures: 3 }),
      { type: 'ready' },
      at({ state: 'playing', failures: 0 }),
      null,
    ],
    [
      'a failed connect backs off by the failures in a row',
      at({ failures: 2 }),
      { type: 'connect-failed', error: 'ENOENT' },
      at({ state: 'restarting', failures: 3, lastError: 'ENOENT' }),
      400,
    ],
    [
      'an mpv that exits after running is restarted at once',
      at({ state: 'playing', restarts: 1 }),
      { type: 'exited', error: 'mpv exited (SIGKILL)', wasConnected: true },
      at({ state: 'restarting', restarts: 2, lastError: 'mpv exited (SIGKILL)' }),
      50,
    ],
    [
      'an mpv that exits before it ever answered counts as a failed start',
      at({ state: 'restarting', failures: 1 }),
      { type: 'exited', error: 'mpv exited (1)', wasConnected: false },
      at({ state: 'restarting', restarts: 1, failures: 2, lastError: 'mpv exited (1)' }),
      200,
    ],
    [
      'a spawn error is kept as the reason; the exit decides the retry',
      at({ state: 'starting' }),
      { type: 'spawn-error', error: 'mpv could not start: spawn mpv ENOENT' },
      at({ lastError: 'mpv could not start: spawn mpv ENOENT' }),
      null,
    ],
    ['a closed socket reconnects soon', at({ state: 'playing' }), { type: 'ipc-closed' }, at({ state: 'restarting' }), 50],
    ['synced with films: playing', at({ state: 'playing' }), { type: 'synced', films: 2 }, at({ state: 'playing' }), null],
    ['synced without films: idle', at({ state: 'playing' }), { type: 'synced', films: 0 }, at({ state: 'idle' }), null],
    [
      'a failed sync is kept as the reason',
      at({ state: 'playing' }),
      { type: 'sync-failed', error: 'x' },
      at({ state: 'playing', lastError: 'x' }),
      null,
    ],
    ['stopped: off', at({ state: 'playing', restarts: 4 }), { type: 'stopped' }, at({ state: 'off', restarts: 4 }), null],
  ];
  it.each(cases)('%s', (_name, from, event, next, retryInMs) => {
    expect(transition(from, event)).toEqual({ next, retryInMs });
  });

  it('never changes the state it is given', () => {
    const from = at({ failures: 1 });
    transition(from, { type: 'connect-failed', error: 'x' });
    expect(from).toEqual(at({ failures: 1 }));
  });

  it('grows the restart delay and caps it', () => {
    expect([0, 1, 2, 3, 8, 20].map(retryDelay)).toEqual([50, 100, 200, 400, 10_000, 10_000]);
  });
});
