import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { UiWatchdog } from '../src/watchdog.js';
import { ControlClient, silent, startTestStation } from './helpers.js';

describe('kiosk watchdog', () => {
  it('runs UI_RESTART_COMMAND as argv (no shell) when heartbeats stop, rate-limited', async () => {
    const dir = await tempDir('watchdog');
    try {
      const out = path.join(dir.path, 'calls.txt');
      const script = path.join(dir.path, 'restart-kiosk');
      await writeFile(script, `#!/bin/sh\nfor a in "$@"; do printf '%s|' "$a" >> ${out}; done; echo >> ${out}\n`, { mode: 0o755 });
      let now = 0;
      const dog = new UiWatchdog({
        seconds: 10,
        command: `${script} --user "kiosk app" '$HOME;x'`,
        minIntervalSeconds: 60,
        log: silent,
        now: () => now,
      });
      const calls = async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

      now = 5_000;
      dog.tick();
      dog.heartbeat();
      now = 14_000;
      dog.tick(); // 9 s since the heartbeat: fine
      expect(dog.restarts).toBe(0);
      now = 16_000;
      dog.tick(); // 11 s: restart
      expect(dog.restarts).toBe(1);
      await waitFor('restart command ran', async () => (await calls()).length === 1);
      expect(await calls()).toEqual(['--user|kiosk app|$HOME;x|']);
      now = 40_000;
      dog.tick(); // silent again, but the last restart is only 24 s ago
      expect(dog.restarts).toBe(1);
      now = 80_000;
      dog.tick();
      expect(dog.restarts).toBe(2);
    } finally {
      await dir.remove();
    }
  });

  it('a heartbeat through the control socket keeps the kiosk from being restarted', async () => {
    // The watchdog's clock is the test's; its one-second tick is real, and each tick reads the clock.
    let now = 0;
    let reads = 0;
    const clock = () => {
      reads++;
      return now;
    };
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const restarts = () => lines.filter((l) => l.event === 'ui.restart').length;
    const ticked = async () => {
      const seen = reads;
      await waitFor('a watchdog tick', () => reads > seen, { timeoutMs: 30_000, intervalMs: 10 });
    };
    const s = await startTestStation(
      { UI_WATCHDOG_SECONDS: '10', UI_RESTART_COMMAND: 'true', UI_RESTART_MIN_INTERVAL_SECONDS: '0' },
      { log, watchdogClock: clock },
    );
    try {
      const c = await ControlClient.connect(s.url);
      now = 5_000;
      expect(await c.request('ui.heartbeat', { at: Date.now() })).toMatchObject({ ok: true, data: {} });
      expect(await c.request('ui.log', { level: 'warn', message: 'a test message' })).toMatchObject({ ok: true });
      c.close();
      now = 14_000; // 14 s since start, but only 9 s since the heartbeat
      await ticked();
      expect(restarts()).toBe(0);
      now = 16_000; // 11 s since the heartbeat: no more heartbeats, the kiosk is restarted
      await waitFor('the restart', () => restarts() === 1, { timeoutMs: 30_000, intervalMs: 10 });
    } finally {
      await s.remove();
    }
  });
});
