import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@stop-motion/e2e';
import type { ButtonAction } from '@stop-motion/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createPressFilter } from '../src/buttons/debounce.js';
import {
  edgeTime,
  eventIndex,
  GpiomonButtons,
  gpiofindArgs,
  gpiomonArgs,
  parseGpiodVersion,
  parseGpiofind,
  parseGpiomonLine,
  resolveLines,
} from '../src/buttons/gpiomon.js';
import { gpioBase, loadOnoff, OnoffButtons, readGpioChips } from '../src/buttons/onoff.js';
import type { ButtonEdge } from '../src/buttons/source.js';

const log = pino({ level: 'silent' });
const GPIOMON_V1 = fileURLToPath(new URL('./fixtures/libgpiod/gpiomon-v1.mjs', import.meta.url));

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
    [
      1,
      { chip: 'gpiochip0', ids: ['17', '27'] },
      'pull-up',
      ['-b', '--bias=pull-up', '--active-low', '--format=%o %e %s.%n', 'gpiochip0', '17', '27'],
    ],
    [1, { chip: '4', ids: ['5'] }, 'as-is', ['-b', '--bias=as-is', '--active-low', '--format=%o %e %s.%n', '4', '5']],
    [
      2,
      { chip: null, ids: ['GPIO17', 'GPIO27'] },
      'pull-up',
      ['--bias=pull-up', '--active-low', '--edges=both', '--format=%o %e %S %l', 'GPIO17', 'GPIO27'],
    ],
    [
      2,
      { chip: 'gpiochip4', ids: ['17'] },
      'pull-up',
      ['--bias=pull-up', '--active-low', '--edges=both', '--format=%o %e %S %l', '--chip', 'gpiochip4', '17'],
    ],
    // libgpiod 2 has no "as-is" bias: leaving it alone is leaving the option out.
    [2, { chip: null, ids: ['GPIO5'] }, 'as-is', ['--active-low', '--edges=both', '--format=%o %e %S %l', 'GPIO5']],
  ] as const)('libgpiod %s args %#', (version, lines, bias, expected) => {
    expect(gpiomonArgs(version, { chip: lines.chip, ids: [...lines.ids] }, bias)).toEqual(expected);
  });

  it('needs a line, and a chip on libgpiod 1', () => {
    expect(() => gpiomonArgs(2, { chip: 'gpiochip0', ids: [] })).toThrow();
    expect(() => gpiomonArgs(1, { chip: null, ids: ['GPIO17'] })).toThrow();
  });

  it.each([
    ['gpiomon (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski\n', 1],
    ['gpiomon (libgpiod) v2.2.1\nCopyright (C) 2017-2023 Bartosz Golaszewski\n', 2],
    ['gpiomon (libgpiod) v2.0-rc1\n', 2],
    ['gpiomon (libgpiod) v3.0\n', null],
    ['something else', null],
  ] as const)('version of %j', (out, expected) => {
    expect(parseGpiodVersion(out)).toBe(expected);
  });

  it.each([
    // libgpiod 1 prints %n with %ld: 10 s + 5 ms is "10.5000000", not half a second.
    ['17 1 10.5000000', { offset: 17, pressed: true, timeMs: 10005 }],
    ['17 1 1234.123456', { offset: 17, pressed: true, timeMs: 1234000.123456 }],
    ['27 0 5.500000000', { offset: 27, pressed: false, timeMs: 5500 }],
    ['  27 0 5.0', { offset: 27, pressed: false, timeMs: 5000 }],
    // libgpiod 2: %e is 1 rising / 2 falling, %S is zero-padded, then the line name.
    ['17 1 10.005000000 GPIO17', { offset: 17, pressed: true, timeMs: 10005, name: 'GPIO17' }],
    ['17 2 10.150000000 GPIO17', { offset: 17, pressed: false, timeMs: 10150, name: 'GPIO17' }],
    ['3 2 7.000000001 unnamed', { offset: 3, pressed: false, timeMs: 7000.000001, name: 'unnamed' }],
    ['event: RISING EDGE offset: 17', null],
    ['10.005000000\trising\t"GPIO17"', null],
    ['17 3 1.0', null],
    ['', null],
  ])('parses %j', (line, expected) => {
    expect(parseGpiomonLine(line)).toEqual(expected);
  });

  it.each([
    ['by name', { chip: null, ids: ['GPIO17', 'GPIO27'] }, { offset: 3, pressed: true, timeMs: 0, name: 'GPIO27' }, 1],
    ['by name, unknown', { chip: null, ids: ['GPIO17'] }, { offset: 17, pressed: true, timeMs: 0 }, -1],
    ['by offset', { chip: 'gpiochip0', ids: ['17', '27'] }, { offset: 27, pressed: true, timeMs: 0, name: 'unnamed' }, 1],
  ])('event → pin %s', (_n, lines, ev, index) => {
    expect(eventIndex(lines, ev)).toBe(index);
  });

  it.each([
    ['fresh kernel stamp', 995, 1000, 50, 45],
    ['stamp from another clock', 1.7e12, 1000, 50, 50],
    ['from the future', 1001, 1000, 50, 50],
  ])('edge time: %s', (_n, ev, mono, perf, expected) => {
    expect(edgeTime(ev, mono, perf)).toBe(expected);
  });

  it.each([
    ['gpiochip0 17\n', { chip: 'gpiochip0', offset: 17 }],
    ['', null],
  ])('gpiofind %j', (out, expected) => {
    expect(parseGpiofind(out)).toEqual(expected);
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

  /** A fake /sys/class/gpio with the given chips. */
  async function fakeSys(chips: Array<[string, string, string, string]>): Promise<Awaited<ReturnType<typeof tempDir>>> {
    const dir = await tempDir('fake-sys');
    for (const [name, label, base, ngpio] of chips) {
      await mkdir(path.join(dir.path, name));
      await writeFile(path.join(dir.path, name, 'label'), `${label}\n`);
      await writeFile(path.join(dir.path, name, 'base'), `${base}\n`);
      await writeFile(path.join(dir.path, name, 'ngpio'), `${ngpio}\n`);
    }
    await writeFile(path.join(dir.path, 'export'), '');
    return dir;
  }

  it('the optional onoff package is installed and loads', async () => {
    const mod = await loadOnoff();
    expect(typeof mod.Gpio).toBe('function');
    expect(typeof (mod.Gpio as unknown as { accessible: unknown }).accessible).toBe('boolean');
  });

  it.each([
    [
      'Pi 5, kernel ≥ 6.6',
      [
        ['gpiochip512', 'gpio-brcmstb@107d508500', '512', '32'],
        ['gpiochip571', 'pinctrl-rp1', '571', '54'],
      ],
      571,
    ],
    [
      'Pi 4, kernel ≥ 6.6',
      [
        ['gpiochip512', 'pinctrl-bcm2711', '512', '58'],
        ['gpiochip570', 'raspberrypi-exp-gpio', '570', '8'],
      ],
      512,
    ],
    [
      'Pi 4, kernel < 6.6',
      [
        ['gpiochip0', 'pinctrl-bcm2711', '0', '58'],
        ['gpiochip504', 'raspberrypi-exp-gpio', '504', '8'],
      ],
      0,
    ],
  ] as const)('%s: sysfs numbers are the SoC base + BCM pin, edges are active-low presses', async (_n, chips, base) => {
    const dir = await fakeSys(chips.map((c) => [...c]));
    try {
      const made: Array<{
        gpio: number;
        options: unknown;
        watch?: (err: Error | null | undefined, value: number) => void;
        unexported: boolean;
      }> = [];
      class FakeGpio {
        private readonly rec: (typeof made)[number];
        constructor(gpio: number, _direction: 'in', _edge: 'both', options?: unknown) {
          this.rec = { gpio, options, unexported: false };
          made.push(this.rec);
        }
        watch(cb: (err: Error | null | undefined, value: number) => void) {
          this.rec.watch = cb;
        }
        unexport() {
          this.rec.unexported = true;
        }
      }
      const c = { edges: [] as ButtonEdge[], statuses: [] as string[] };
      const buttons = new OnoffButtons({
        pins: [
          { action: 'capture', pin: 17 },
          { action: 'undo', pin: 27 },
        ],
        sysRoot: dir.path,
        log,
        load: async () => ({ Gpio: FakeGpio }),
      });
      await buttons.start({ onEdge: (e) => c.edges.push(e), onPress: () => undefined, onStatus: (st) => c.statuses.push(st.state) });
      expect(made.map((m) => [m.gpio, m.options])).toEqual([
        [base + 17, { activeLow: true }],
        [base + 27, { activeLow: true }],
      ]);
      expect(c.statuses).toEqual(['ok']);
      made[1]?.watch?.(null, 1);
      made[1]?.watch?.(new Error('EIO'), 0);
      made[1]?.watch?.(null, 0);
      expect(c.edges.map((e) => [e.action, e.pressed])).toEqual([
        ['undo', true],
        ['undo', false],
      ]);
      await buttons.stop();
      expect(made.every((m) => m.unexported)).toBe(true);
    } finally {
      await dir.remove();
    }
  });

  it('no GPIO chip in sysfs, or GPIO that cannot be exported: failed buttons with a reason, no crash', async () => {
    const empty = await fakeSys([]);
    const pi4 = await fakeSys([['gpiochip512', 'pinctrl-bcm2711', '512', '58']]);
    try {
      const none = new OnoffButtons({ pins: [{ action: 'capture', pin: 17 }], sysRoot: empty.path, log });
      await none.start({ onEdge: () => undefined, onPress: () => undefined, onStatus: () => undefined });
      expect(none.status()).toMatchObject({ kind: 'onoff', state: 'failed', message: expect.stringContaining('no GPIO chip') });
      await none.stop();
      // The real onoff on a machine whose /sys/class/gpio has no such line to export.
      const real = new OnoffButtons({ pins: [{ action: 'capture', pin: 17 }], sysRoot: pi4.path, log });
      const statuses: string[] = [];
      await real.start({ onEdge: () => undefined, onPress: () => undefined, onStatus: (st) => statuses.push(st.state) });
      expect(real.status()).toMatchObject({ kind: 'onoff', state: 'failed' });
      expect(statuses).toEqual(['failed']);
      await real.stop();
    } finally {
      await empty.remove();
      await pi4.remove();
    }
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
      const buttons = new GpiomonButtons({
        chip: 'auto',
        pins: [{ action: 'capture', pin: 99 }],
        command: GPIOMON_V1,
        gpiofindCommand: script,
        log,
      });
      await buttons.start({ onEdge: () => undefined, onPress: () => undefined, onStatus: (s) => statuses.push(s.state) });
      expect(buttons.status()).toMatchObject({ kind: 'gpiomon', state: 'failed' });
      await buttons.stop();
    } finally {
      await dir.remove();
    }
  });
});
