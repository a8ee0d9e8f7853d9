import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { type NotifySocket, startNotifySocket, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessorChild, startProcessorChild } from './child.js';
import { writePackage } from './helpers.js';

const count = (n: NotifySocket, line: string) => n.messages.filter((m) => m.line === line).length;

function procState(pid: number): Promise<string | null> {
  // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces, the state follows the last ')'.
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3),
    () => null,
  );
}

// systemd's side played by a datagram socket at NOTIFY_SOCKET (sd_notify(3)); the
// processor runs as its own process, as under its unit with WatchdogSec=.
describe('processor systemd watchdog', () => {
  let dir: TempDir;
  let notify: NotifySocket;
  let child: ProcessorChild | undefined;
  let stopped: number | null = null;

  beforeAll(async () => {
    dir = await tempDir('proc-watchdog');
    notify = await startNotifySocket(dir.path);
  });

  afterAll(async () => {
    if (stopped !== null) {
      try {
        // A failed run leaves no stopped ffmpeg behind.
        process.kill(stopped, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (child) {
      child.proc.child.kill('SIGKILL');
      await child.proc.exited;
    }
    await notify?.close();
    await dir?.remove();
  });

  it('says READY when listening, pings WATCHDOG while the render loop goes round, and stops pinging while a render hangs', async () => {
    const data = path.join(dir.path, 'data');
    const inbox = path.join(dir.path, 'inbox');
    child = await startProcessorChild({
      NOTIFY_SOCKET: notify.path,
      // WatchdogSec=0.4: a ping every 200 ms.
      WATCHDOG_USEC: '400000',
      WATCHDOG_LOOP_SECONDS: '2',
      PROCESSOR_DATA_DIR: data,
      PROCESSOR_INBOX: inbox,
      PLAYER: 'none',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RENDER_TIMEOUT_SECONDS: '600',
    });
    await notify.waitFor((m) => m.some((x) => x.line === 'READY=1'), 'READY=1');
    await notify.waitFor((m) => m.filter((x) => x.line === 'WATCHDOG=1').length >= 3, 'three WATCHDOG=1');
    const ready = notify.messages.findIndex((m) => m.line === 'READY=1');
    const firstPing = notify.messages.findIndex((m) => m.line === 'WATCHDOG=1');
    expect(ready).toBeLessThan(firstPing);

    // A render whose ffmpeg is stopped (SIGSTOP: alive, not dead) holds the render loop.
    const staged = path.join(dir.path, 'staged');
    await mkdir(staged, { recursive: true });
    const { id } = await writePackage(staged, { frames: 100, width: 480, height: 360, kind: 'photo', publish: 'private' });
    await rename(path.join(staged, id), path.join(inbox, id));
    const pidFile = path.join(data, 'work', id, 'tool.pid');
    stopped = await waitFor(
      'an ffmpeg of the render stopped',
      async () => {
        const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
        if (!Number.isInteger(pid) || pid <= 1) return undefined;
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (!cmd.includes('ffmpeg')) return undefined;
        try {
          process.kill(pid, 'SIGSTOP');
        } catch {
          return undefined;
        }
        return pid;
      },
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await waitFor('the stopped ffmpeg in state T', async () => (await procState(stopped as number)) === 'T');
    const c = child;
    const withheld = await waitFor('the watchdog withheld', () => c.logs.find((l) => l.event === 'systemd.watchdog_withheld'), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    expect(String((withheld.problems as string[])[0])).toMatch(/render loop silent/);
    // The process itself is alive and answering all along: only its pipeline is stuck.
    const atWithheld = count(notify, 'WATCHDOG=1');
    for (let i = 0; i < 8; i++) {
      expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
    }
    // At most one ping that was on its way when the loop went silent.
    expect(count(notify, 'WATCHDOG=1') - atWithheld).toBeLessThanOrEqual(1);
    const silent = count(notify, 'WATCHDOG=1');
    for (let i = 0; i < 5; i++) {
      await fetch(`${c.url}/healthz`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(count(notify, 'WATCHDOG=1')).toBe(silent);

    // Let it go on: the pings come back, and the film is made.
    process.kill(stopped, 'SIGCONT');
    stopped = null;
    await waitFor('pings resumed', () => c.logs.some((l) => l.event === 'systemd.watchdog_resumed'), { timeoutMs: 60_000 });
    await notify.waitFor((m) => m.filter((x) => x.line === 'WATCHDOG=1').length >= silent + 2, 'WATCHDOG=1 again');
    await waitFor('the film rendered', () => c.logs.some((l) => l.event === 'render.done' && l.id === id), {
      timeoutMs: 300_000,
      intervalMs: 200,
    });
  }, 400_000);
});
