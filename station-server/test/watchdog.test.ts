import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, waitFor } from '@stop-motion/e2e';
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

  it('the UI heartbeat request reaches it through the control socket', async () => {
    const dir = await tempDir('watchdog2');
    const s = await startTestStation({
      UI_WATCHDOG_SECONDS: '1',
      UI_RESTART_COMMAND: `touch ${path.join(dir.path, 'restarted')}`,
      UI_RESTART_MIN_INTERVAL_SECONDS: '0',
    });
    try {
      const c = await ControlClient.connect(s.url);
      expect(await c.request('ui.heartbeat', { at: Date.now() })).toMatchObject({ ok: true, data: {} });
      expect(await c.request('ui.log', { level: 'warn', message: 'a test message' })).toMatchObject({ ok: true });
      c.close();
      // No more heartbeats: the restart command runs.
      await waitFor(
        'restart',
        async () =>
          await readFile(path.join(dir.path, 'restarted'))
            .then(() => true)
            .catch(() => false),
        { timeoutMs: 10_000 },
      );
    } finally {
      await s.remove();
      await dir.remove();
    }
  });
});
