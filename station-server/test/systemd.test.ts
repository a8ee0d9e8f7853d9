import { type NotifySocket, spawnManaged, startNotifySocket, tempDir, waitFor } from '@stop-motion/e2e';
import { LoopBeats, probeHealth, SystemdNotifier, watchdogPingMs } from '@stop-motion/kit';
import { afterAll, describe, expect, it } from 'vitest';

describe('watchdogPingMs (sd_watchdog_enabled(3))', () => {
  it.each([
    [{}, null],
    [{ WATCHDOG_USEC: '30000000' }, 15_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, 15_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4243' }, null],
    [{ WATCHDOG_USEC: '0' }, null],
    [{ WATCHDOG_USEC: 'soon' }, null],
    [{ WATCHDOG_USEC: '1500' }, 1],
  ])('%j → %s', (env, ms) => {
    expect(watchdogPingMs(env as NodeJS.ProcessEnv, 4242)).toBe(ms);
  });

  it('LoopBeats names a loop that has not beaten within the allowance', () => {
    let now = 0;
    const beats = new LoopBeats(['render', 'upload'], () => now);
    now = 1000;
    beats.beat('render');
    now = 2500;
    expect(beats.stuck(2000)).toEqual(['upload loop silent for 3 s']);
    beats.beat('upload');
    expect(beats.stuck(2000)).toEqual([]);
  });
});

// A health check against a peer that is stopped (SIGSTOP), not dead: the probe's deadline
// ends the wait, the ping is withheld, and it comes back when the peer runs again.
describe('SystemdNotifier with a stopped peer', () => {
  let notify: NotifySocket | undefined;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await notify?.close();
  });

  it('withholds WATCHDOG=1 while /healthz does not answer in time and resumes after', async () => {
    const dir = await tempDir('notifier');
    cleanups.push(() => dir.remove());
    notify = await startNotifySocket(dir.path);
    let url: string | undefined;
    const server = spawnManaged({
      name: 'healthz',
      command: process.execPath,
      args: [
        '-e',
        "const s=require('http').createServer((q,r)=>r.end('ok'));s.listen(0,'127.0.0.1',()=>console.log('http://127.0.0.1:'+s.address().port))",
      ],
      onLine: (line) => {
        if (line.startsWith('http://')) url = line;
      },
    });
    cleanups.push(async () => {
      server.child.kill('SIGCONT');
      server.child.kill('SIGKILL');
      await server.exited;
    });
    const base = await waitFor('the peer listening', () => url);
    const logs: Array<{ event?: string }> = [];
    const log = { info: (o: object) => logs.push(o), warn: (o: object) => logs.push(o) };
    const notifier = new SystemdNotifier({
      log,
      env: { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '200000', PATH: process.env.PATH },
      check: () => probeHealth(base, 300),
    });
    cleanups.push(() => notifier.stop());
    await notifier.ready();
    const n = notify;
    await n.waitFor((m) => m.filter((x) => x.line === 'WATCHDOG=1').length >= 2, 'pings while the peer answers');
    server.child.kill('SIGSTOP');
    await waitFor('the ping withheld', () => logs.some((l) => l.event === 'systemd.watchdog_withheld'), { timeoutMs: 10_000 });
    const during = n.messages.filter((x) => x.line === 'WATCHDOG=1').length;
    server.child.kill('SIGCONT');
    await waitFor('pings resumed', () => logs.some((l) => l.event === 'systemd.watchdog_resumed'), { timeoutMs: 10_000 });
    await n.waitFor((m) => m.filter((x) => x.line === 'WATCHDOG=1').length > during, 'a ping after the peer runs again');
  });
});
