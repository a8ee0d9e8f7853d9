import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ButtonLeds, gpiosetArgs, ledStates } from '../src/buttons/leds.js';
import { loadConfig } from '../src/config.js';

const frames = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ file: `${String(i).padStart(4, '0')}.jpg`, hash: '0123456789abcdef' }));
const movie = (n: number, max = 3) => ({ id: '01ABC', startedAt: new Date(0).toISOString(), fps: 10, maxFrames: max, frames: frames(n) });
const camera = (state: 'ok' | 'restarting') => ({ state, kind: 'test', restarts: 0 });
const disk = (full: boolean) => ({ freeBytes: 1, totalBytes: 2, full });

describe('button lights', () => {
  it.each([
    [
      'empty movie',
      { movie: movie(0), camera: camera('ok'), disk: disk(false) },
      { capture: true, undo: false, play: false, finish: false },
    ],
    ['some frames', { movie: movie(2), camera: camera('ok'), disk: disk(false) }, { capture: true, undo: true, play: true, finish: true }],
    ['frame limit', { movie: movie(3), camera: camera('ok'), disk: disk(false) }, { capture: false, undo: true, play: true, finish: true }],
    [
      'camera away',
      { movie: movie(1), camera: camera('restarting'), disk: disk(false) },
      { capture: false, undo: true, play: true, finish: true },
    ],
    ['disk full', { movie: movie(0), camera: camera('ok'), disk: disk(true) }, { capture: false, undo: false, play: false, finish: false }],
  ])('%s', (_n, state, expected) => {
    expect(ledStates(state)).toEqual(expected);
  });

  it.each([
    [1, { chip: 'gpiochip0', ids: ['5', '6'] }, ['--mode=signal', 'gpiochip0', '5=1', '6=0']],
    [2, { chip: null, ids: ['GPIO5', 'GPIO6'] }, ['GPIO5=1', 'GPIO6=0']],
    [2, { chip: 'gpiochip4', ids: ['5', '6'] }, ['--chip', 'gpiochip4', '5=1', '6=0']],
  ] as const)('gpioset arguments, libgpiod %s %#', (version, lines, expected) => {
    expect(gpiosetArgs(version, { chip: lines.chip, ids: [...lines.ids] }, [true, false])).toEqual(expected);
  });

  it('gpioset needs a line, and a chip on libgpiod 1', () => {
    expect(() => gpiosetArgs(2, { chip: 'gpiochip0', ids: [] }, [])).toThrow();
    expect(() => gpiosetArgs(1, { chip: null, ids: ['GPIO5'] }, [true])).toThrow();
  });

  it('LED_PINS is read like BUTTON_PINS', () => {
    const r = loadConfig({ LED_PINS: 'capture:5,undo:6' });
    expect(r.ok && r.config.buttons.ledPins).toEqual([
      { action: 'capture', pin: 5 },
      { action: 'undo', pin: 6 },
    ]);
    expect(loadConfig({ LED_PINS: 'capture:x' }).ok).toBe(false);
  });

  it('runs gpioset only when a light changes', async () => {
    const dir = await tempDir('fake-gpioset');
    try {
      const calls = path.join(dir.path, 'calls.txt');
      const script = path.join(dir.path, 'gpioset');
      await writeFile(
        script,
        `#!/bin/sh\ncase "$1" in --version) echo "gpioset (libgpiod) v1.6.3"; exit 0;; esac\necho "$*" >> ${calls}\nexec sleep 30\n`,
        { mode: 0o755 },
      );
      const leds = new ButtonLeds({
        chip: 'gpiochip0',
        pins: [
          { action: 'capture', pin: 5 },
          { action: 'undo', pin: 6 },
        ],
        command: script,
        log: pino({ level: 'silent' }),
      });
      await leds.start();
      const read = async () => (await readFile(calls, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
      const on = { capture: true, undo: false, play: false, finish: false };
      leds.update(on);
      await waitFor('first gpioset run', async () => (await read()).length === 1);
      leds.update(on);
      leds.update({ ...on, undo: true });
      await waitFor('second gpioset run', async () => (await read()).length === 2);
      leds.update({ ...on, undo: true, play: true }); // play has no light: no change
      // A real change after it: had the one before run gpioset, there would be four runs.
      leds.update({ ...on, capture: false, undo: true });
      await waitFor('third gpioset run', async () => (await read()).length >= 3);
      await leds.stop();
      expect(await read()).toEqual([
        '--mode=signal gpiochip0 5=1 6=0',
        '--mode=signal gpiochip0 5=1 6=1',
        '--mode=signal gpiochip0 5=0 6=1',
      ]);
    } finally {
      await dir.remove();
    }
  });
});
