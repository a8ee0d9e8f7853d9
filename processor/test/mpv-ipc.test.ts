import { freeze, type MpvService, startMpv } from '@stop-motion/e2e';
import { type MpvEvent, MpvIpc } from '@stop-motion/kit';
import { afterEach, describe, expect, it } from 'vitest';

describe('MpvIpc against a real mpv', () => {
  let mpv: MpvService | null = null;
  let ipc: MpvIpc | null = null;
  afterEach(async () => {
    const pid = mpv?.pid();
    if (pid) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone already.
      }
    }
    ipc?.close();
    await mpv?.stop();
    mpv = null;
    ipc = null;
  });

  const connect = async (events: MpvEvent[] = [], closed: () => void = () => undefined) => {
    mpv = await startMpv();
    ipc = await MpvIpc.connect(
      mpv.socketPath,
      (e) => events.push(e),
      () => closed(),
    );
    return ipc;
  };

  it('answers requests by id and passes events on', async () => {
    const events: MpvEvent[] = [];
    const c = await connect(events);
    expect(await c.command('get_property', 'pid')).toBe(mpv?.pid());
    await c.command('observe_property', 1, 'idle-active');
    await expect(c.command('get_property', 'no-such-property')).rejects.toThrow(/mpv: property not found/);
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.event === 'property-change' && e.name === 'idle-active') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(events.some((e) => e.event === 'property-change' && e.name === 'idle-active')).toBe(true);
  });

  it('fails a request at its deadline when mpv is stopped (SIGSTOP), and works again after SIGCONT', async () => {
    const c = await connect();
    const pid = mpv?.pid() as number;
    await freeze(pid);
    await expect(c.request(['get_property', 'pid'], 300)).rejects.toThrow(/did not answer get_property within 300 ms/);
    process.kill(pid, 'SIGCONT');
    expect(await c.request(['get_property', 'pid'], 10_000)).toBe(pid);
  });

  it('fails every waiting request when the socket closes', async () => {
    let closed = false;
    const c = await connect([], () => {
      closed = true;
    });
    const pid = mpv?.pid() as number;
    await freeze(pid);
    const waiting = expect(c.request(['get_property', 'pid'], 60_000)).rejects.toThrow(/mpv IPC closed/);
    await mpv?.kill();
    await waiting;
    expect(closed).toBe(true);
    await expect(c.command('get_property', 'pid')).rejects.toThrow(/mpv IPC closed/);
  });
});
