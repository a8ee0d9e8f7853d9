import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import type { ButtonAction } from '@stop-motion/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createPressFilter } from '../src/buttons/debounce.js';
import { GpiomonButtons, gpiofindArgs, gpiomonArgs, parseGpiofind, parseGpiomonLine, resolveLines } from '../src/buttons/gpiomon.js';
import { gpioBase, OnoffButtons, readGpioChips } from '../src/buttons/onoff.js';
import type { ButtonEdge } from '../src/buttons/source.js';

const log = pino({ level: 'silent' });

/** A press with contact bounce: edges `bounce` ms apart, at `at`; release `holdMs` later, bouncing too. */
function bouncyPress(action: ButtonAction, at: number, holdMs = 120, bounces = 4, bounce = 1): ButtonEdge[] {
  const edges: ButtonEdge[] = [];
  let t = at;
  for (let i = 0; i < bounces; i++) {
    edges.push({ action, pressed: i % 2 === 0, at: t });
    t += bounce;
  }
  edges.push({ action, pressed: true, at: t });
  t = at + holdMs;
  for (let i = 0; i < bounces; i++) {
    edges.push({ action, pressed: i % 2 === 1, at: t });
    t += bounce;
  }
  edges.push({ action, pressed: false, at: t });
  return edges;
}

function run(edges: ButtonEdge[], o = { debounceMs: 30, captureLockoutMs: 400 }): Array<[ButtonAction, number]> {
  const filter = createPressFilter(o);
  return edges.filter((e) => filter.edge(e.action, e.pressed, e.at)).map((e) => [e.action, e.at]);
}

describe('press filter (debounce + capture lockout, fake time)', () => {
  it('one bouncy press is one press, at its first edge', () => {
    expect(run(bouncyPress('undo', 1000))).toEqual([['undo', 1000]]);
  });

  it('separate presses all count', () => {
    const edges = [...bouncyPress('undo', 1000), ...bouncyPress('undo', 1300), ...bouncyPress('undo', 1600)];
    expect(run(edges)).toEqual([
      ['undo', 1000],
      ['undo', 1300],
      ['undo', 1600],
    ]);
  });

  it('release bounce never counts as a press', () => {
    const edges = bouncyPress('play', 0, 500, 8, 2);
    expect(run(edges)).toEqual([['play', 0]]);
  });

  it('captures inside the lockout are ignored, other buttons are not', () => {
    const edges = [
      ...bouncyPress('capture', 0, 60),
      ...bouncyPress('undo', 100, 60),
      ...bouncyPress('capture', 200, 60),
      ...bouncyPress('capture', 450, 60),
    ];
    expect(run(edges)).toEqual([
      ['capture', 0],
      ['undo', 100],
      ['capture', 450],
    ]);
  });

  it('clean presses (sim, keys) only see the lockout', () => {
    const f = createPressFilter({ debounceMs: 30, captureLockoutMs: 400 });
    expect([f.press('capture', 0), f.press('capture', 10), f.press('undo', 11), f.press('undo', 12), f.press('capture', 401)]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
  });

  it('a lockout of 0 lets every clean press through', () => {
    const f = createPressFilter({ debounceMs: 0, captureLockoutMs: 0 });
    expect([f.press('capture', 0), f.press('capture', 0)]).toEqual([true, true]);
  });
});

describe('gpiomon', () => {
  it.each([
    [{ chip: 'gpiochip0', offsets: [17, 27] }, ['-b', '--bias=pull-up', '--active-low', '--format=%o %e %s.%n', 'gpiochip0', '17', '27']],
    [{ chip: '4', offsets: [5], bias: 'as-is' as const }, ['-b', '--bias=as-is', '--active-low', '--format=%o %e %s.%n', '4', '5']],
  ])('args %#', (o, expected) => {
    expect(gpiomonArgs(o)).toEqual(expected);
  });

  it('needs a line', () => {
    expect(() => gpiomonArgs({ chip: 'gpiochip0', offsets: [] })).toThrow();
  });

  it.each([
    ['17 1 1234.000123456', { offset: 17, pressed: true, timeMs: 1234000.123456 }],
    ['  27 0 5.5', { offset: 27, pressed: false, timeMs: 5500 }],
    ['event: RISING EDGE offset: 17', null],
    ['17 2 1.0', null],
    ['', null],
  ])('parses %j', (line, expected) => {
    expect(parseGpiomonLine(line)).toEqual(expected);
  });

  it.each([
    ['gpiochip0 17\n', { chip: 'gpiochip0', offset: 17 }],
    ['', null],
  ])('gpiofind %j', (out, expected) => {
    expect(parseGpiofind(out)).toEqual(expected);
  });

  it('a gpiomon-like program with bouncy edges gives one press per button press', async () => {
    const dir = await tempDir('fake-gpiomon');
    try {
      const script = path.join(dir.path, 'gpiomon');
      const argsFile = path.join(dir.path, 'args.json');
      // Prints what gpiomon -F '%o %e %s.%n' prints: a bouncy capture press, a bouncy undo press, then waits.
      await writeFile(
        script,
        `#!/usr/bin/env node
require('node:fs').writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));
const lines = ['17 1 10.000000000', '17 0 10.000500000', '17 1 10.001000000', '17 0 10.150000000', '17 1 10.150400000', '17 0 10.151000000',
  'garbage line', '27 1 11.000000000', '27 0 11.000300000', '27 1 11.000600000', '27 0 11.2'];
let i = 0;
const t = setInterval(() => { if (i < lines.length) process.stdout.write(lines[i++] + '\\n'); else clearInterval(t); }, 0);
setTimeout(() => {}, 60000);
`,
      );
      await chmod(script, 0o755);
      const buttons = new GpiomonButtons({
        chip: 'gpiochip0',
        pins: [
          { action: 'capture', pin: 17 },
          { action: 'undo', pin: 27 },
        ],
        command: script,
        log,
      });
      const filter = createPressFilter({ debounceMs: 30, captureLockoutMs: 400 });
      const presses: ButtonAction[] = [];
      const edges: ButtonEdge[] = [];
      await buttons.start({
        onEdge: (e) => {
          edges.push(e);
          // The kernel timestamps are what matter for bounce; arrival times here are all "now",
          // so feed the filter with the parsed order and a fake clock of the printed times.
        },
        onPress: () => undefined,
        onStatus: () => undefined,
      });
      const deadline = Date.now() + 5000;
      while (edges.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await buttons.stop();
      expect(edges.map((e) => [e.action, e.pressed])).toEqual([
        ['capture', true],
        ['capture', false],
        ['capture', true],
        ['capture', false],
        ['capture', true],
        ['capture', false],
        ['undo', true],
        ['undo', false],
        ['undo', true],
        ['undo', false],
      ]);
      const times = [10000, 10000.5, 10001, 10150, 10150.4, 10151, 11000, 11000.3, 11000.6, 11200];
      edges.forEach((e, i) => {
        if (filter.edge(e.action, e.pressed, times[i] as number)) presses.push(e.action);
      });
      expect(presses).toEqual(['capture', 'undo']);
      expect(JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(argsFile, 'utf8')))).toEqual(
        gpiomonArgs({ chip: 'gpiochip0', offsets: [17, 27] }),
      );
      expect(buttons.status().state).toBe('off');
    } finally {
      await dir.remove();
    }
  });
});

describe('onoff chip base', () => {
  it.each([
    [
      'kernel < 6.6, Pi 4',
      [
        { name: 'gpiochip0', label: 'pinctrl-bcm2711', base: 0, ngpio: 58 },
        { name: 'gpiochip504', label: 'raspberrypi-exp-gpio', base: 504, ngpio: 8 },
      ],
      0,
    ],
    [
      'kernel ≥ 6.6, Pi 4',
      [
        { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
        { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
      ],
      512,
    ],
    [
      'Pi 5',
      [
        { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 },
        { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
      ],
      571,
    ],
    [
      'unknown board: the biggest controller',
      [
        { name: 'gpiochip0', label: 'x', base: 0, ngpio: 8 },
        { name: 'gpiochip100', label: 'y', base: 100, ngpio: 64 },
      ],
      100,
    ],
    ['nothing', [], null],
  ])('%s', (_n, chips, base) => {
    expect(gpioBase(chips)).toBe(base);
  });

  it('without the optional onoff package it reports failed buttons instead of crashing', async () => {
    const buttons = new OnoffButtons({ pins: [{ action: 'capture', pin: 17 }], log });
    const statuses: string[] = [];
    await buttons.start({ onEdge: () => undefined, onPress: () => undefined, onStatus: (st) => statuses.push(st.state) });
    expect(buttons.status()).toMatchObject({ kind: 'onoff', state: 'failed' });
    expect(statuses).toEqual(['failed']);
    await buttons.stop();
  });

  it('reads a fake /sys/class/gpio tree', async () => {
    const dir = await tempDir('fake-sys');
    try {
      const chip = async (name: string, label: string, base: string, ngpio: string) => {
        await mkdir(path.join(dir.path, name));
        await writeFile(path.join(dir.path, name, 'label'), `${label}\n`);
        await writeFile(path.join(dir.path, name, 'base'), `${base}\n`);
        await writeFile(path.join(dir.path, name, 'ngpio'), `${ngpio}\n`);
      };
      await chip('gpiochip512', 'pinctrl-bcm2711', '512', '58');
      await chip('gpiochip570', 'raspberrypi-exp-gpio', '570', '8');
      await writeFile(path.join(dir.path, 'export'), '');
      const chips = await readGpioChips(dir.path);
      expect(chips.sort((a, b) => a.base - b.base)).toEqual([
        { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
        { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
      ]);
      expect(gpioBase(chips)).toBe(512);
      expect(await readGpioChips(path.join(dir.path, 'missing'))).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});

describe('gpiofind line lookup', () => {
  it('resolves BCM pins to a chip and offsets, and reports lines it cannot find', async () => {
    const dir = await tempDir('fake-gpiofind');
    try {
      const script = path.join(dir.path, 'gpiofind');
      // Pi 5 on an older kernel: the header is gpiochip4.
      await writeFile(
        script,
        '#!/bin/sh\ncase "$1" in GPIO17) echo "gpiochip4 17";; GPIO27) echo "gpiochip4 27";; GPIO5) echo "gpiochip0 5";; *) exit 1;; esac\n',
        { mode: 0o755 },
      );
      expect(gpiofindArgs(17)).toEqual(['GPIO17']);
      expect(
        await resolveLines(
          [
            { action: 'capture', pin: 17 },
            { action: 'undo', pin: 27 },
          ],
          script,
        ),
      ).toEqual({ ok: true, chip: 'gpiochip4', offsets: [17, 27] });
      expect(await resolveLines([{ action: 'capture', pin: 99 }], script)).toMatchObject({
        ok: false,
        reason: expect.stringContaining('GPIO99'),
      });
      expect(
        await resolveLines(
          [
            { action: 'capture', pin: 17 },
            { action: 'undo', pin: 5 },
          ],
          script,
        ),
      ).toMatchObject({ ok: false, reason: expect.stringContaining('different chips') });
      const statuses: string[] = [];
      const buttons = new GpiomonButtons({ chip: 'auto', pins: [{ action: 'capture', pin: 99 }], gpiofindCommand: script, log });
      await buttons.start({ onEdge: () => undefined, onPress: () => undefined, onStatus: (s) => statuses.push(s.state) });
      expect(buttons.status()).toMatchObject({ kind: 'gpiomon', state: 'failed' });
      await buttons.stop();
    } finally {
      await dir.remove();
    }
  });
});
