// The gpiomon buttons and gpioset lights against stand-ins of libgpiod 1.6 (Debian 12) and 2.x
// (Debian 13, today's Raspberry Pi OS), written from each version's tools/ sources
// (test/fixtures/libgpiod/): argv, output format, exit codes, a chip or line that is missing,
// and a chip that disappears while watched.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import type { ButtonAction } from '@stop-motion/protocol';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPressFilter } from '../src/buttons/debounce.js';
import { GpiomonButtons } from '../src/buttons/gpiomon.js';
import { ButtonLeds } from '../src/buttons/leds.js';
import type { ButtonEdge, ButtonsStatus } from '../src/buttons/source.js';

const log = pino({ level: 'silent' });
const fixtures = fileURLToPath(new URL('./fixtures/libgpiod/', import.meta.url));

/** Line names as a Raspberry Pi 4 reports them (the bcm2711 device tree's gpio-line-names), first 28. */
const PI4_HEADER = [
  'ID_SDA', 'ID_SCL', 'GPIO2', 'GPIO3', 'GPIO4', 'GPIO5', 'GPIO6', 'GPIO7', 'GPIO8', 'GPIO9', 'GPIO10', 'GPIO11', 'GPIO12', 'GPIO13',
  'GPIO14', 'GPIO15', 'GPIO16', 'GPIO17', 'GPIO18', 'GPIO19', 'GPIO20', 'GPIO21', 'GPIO22', 'GPIO23', 'GPIO24', 'GPIO25', 'GPIO26', 'GPIO27',
]; // biome-ignore format: a table

interface World {
  chips: Array<{ name: string; label: string; lines: string[] }>;
  events?: Array<{ chip: string; offset: number; edge: 'rising' | 'falling'; ns: number }>;
  after?: 'wait' | 'vanish';
  clock?: 'fixed' | 'monotonic-now';
  setLog?: string;
}

/** A Pi 5 on a kernel that numbers the RP1 header gpiochip4, behind the SoC's own chips. */
const pi5 = (): World => ({
  chips: [
    { name: 'gpiochip0', label: 'gpio-brcmstb@107d508500', lines: Array.from({ length: 32 }, (_, i) => (i === 20 ? 'PWR_GPIO' : '')) },
    { name: 'gpiochip4', label: 'pinctrl-rp1', lines: [...PI4_HEADER.map((n, i) => (i < 2 ? n : `GPIO${i}`)), ...Array(26).fill('')] },
  ],
});

/** A physical press on an active-low button: the line falls, bounces, and rises again on release. */
function press(chip: string, offset: number, atMs: number): NonNullable<World['events']> {
  const ms = (m: number) => Math.round(m * 1e6);
  return [
    { chip, offset, edge: 'falling', ns: ms(atMs) },
    { chip, offset, edge: 'rising', ns: ms(atMs + 0.4) },
    { chip, offset, edge: 'falling', ns: ms(atMs + 0.9) },
    { chip, offset, edge: 'rising', ns: ms(atMs + 120) },
    { chip, offset, edge: 'falling', ns: ms(atMs + 120.3) },
    { chip, offset, edge: 'rising', ns: ms(atMs + 120.8) },
  ];
}

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('libgpiod');
});
afterEach(async () => {
  await dir.remove();
});

/** Installs the version's tools as programs that see `world.json` in the temp dir. */
async function install(
  version: 1 | 2,
  world: World,
): Promise<{ gpiomon: string; gpioset: string; gpiofind: string; setWorld(w: World): Promise<void> }> {
  const worldFile = path.join(dir.path, 'world.json');
  const setWorld = (w: World) => writeFile(worldFile, JSON.stringify(w));
  await setWorld(world);
  const tool = async (name: string) => {
    const file = path.join(dir.path, name);
    await writeFile(file, `#!/bin/sh\nFAKE_GPIO='${worldFile}' exec '${path.join(fixtures, `${name}-v${version}.mjs`)}' "$@"\n`, {
      mode: 0o755,
    });
    return file;
  };
  const gpiofind = version === 1 ? await tool('gpiofind') : path.join(dir.path, 'no-gpiofind-in-libgpiod-2');
  return { gpiomon: await tool('gpiomon'), gpioset: await tool('gpioset'), gpiofind, setWorld };
}

function collect() {
  const edges: ButtonEdge[] = [];
  const statuses: ButtonsStatus[] = [];
  return {
    edges,
    statuses,
    handlers: { onEdge: (e: ButtonEdge) => edges.push(e), onPress: () => undefined, onStatus: (s: ButtonsStatus) => statuses.push(s) },
  };
}

describe.each([1, 2] as const)('libgpiod %s', (version) => {
  it('GPIO_CHIP=auto: bouncy presses on a Pi 5 header become one press each', async () => {
    const world = pi5();
    world.clock = 'monotonic-now';
    world.events = [...press('gpiochip4', 17, 0), ...press('gpiochip4', 27, 200), ...press('gpiochip0', 20, 300)];
    const tools = await install(version, world);
    const buttons = new GpiomonButtons({
      chip: 'auto',
      pins: [
        { action: 'capture', pin: 17 },
        { action: 'undo', pin: 27 },
      ],
      command: tools.gpiomon,
      gpiofindCommand: tools.gpiofind,
      log,
    });
    const c = collect();
    await buttons.start(c.handlers);
    try {
      await waitFor('12 edges', () => c.edges.length >= 12);
      expect(buttons.status()).toEqual({ kind: 'gpiomon', state: 'ok' });
      // The physical falling edge of an active-low line is the press.
      expect(c.edges.map((e) => [e.action, e.pressed])).toEqual([
        ...(['capture', 'undo'] as const).flatMap((a) => [
          [a, true],
          [a, false],
          [a, true],
          [a, false],
          [a, true],
          [a, false],
        ]),
      ]);
      // Kernel timestamps carry the bounce timing, whatever the pipe's batching did.
      const filter = createPressFilter({ debounceMs: 30, captureLockoutMs: 400 });
      const presses: Array<[ButtonAction, number]> = c.edges
        .filter((e) => filter.edge(e.action, e.pressed, e.at))
        .map((e) => [e.action, e.at]);
      expect(presses.map(([a]) => a)).toEqual(['capture', 'undo']);
      const gap = (presses[1]?.[1] ?? 0) - (presses[0]?.[1] ?? 0);
      expect(gap).toBeGreaterThan(190);
      expect(gap).toBeLessThan(210);
    } finally {
      await buttons.stop();
    }
    expect(buttons.status().state).toBe('off');
  });

  it('a chip named in GPIO_CHIP that is missing: a failed status with the reason, then recovery when it appears', async () => {
    const world = pi5();
    const tools = await install(version, world);
    const buttons = new GpiomonButtons({ chip: 'gpiochip9', pins: [{ action: 'capture', pin: 17 }], command: tools.gpiomon, log });
    const c = collect();
    await buttons.start(c.handlers);
    try {
      const failed = await waitFor('failed status', () => c.statuses.find((s) => s.state === 'failed'));
      expect(failed.message).toContain(version === 1 ? 'No such file or directory' : "cannot find GPIO chip character device 'gpiochip9'");
      world.chips.push({ name: 'gpiochip9', label: 'pinctrl-rp1', lines: PI4_HEADER });
      world.events = press('gpiochip9', 17, 0);
      await tools.setWorld(world);
      await waitFor('a press after the chip came back', () => c.edges.some((e) => e.pressed));
      expect(buttons.status().state).toBe('ok');
    } finally {
      await buttons.stop();
    }
  });

  it('a line that no chip has is reported by name', async () => {
    const tools = await install(version, pi5());
    const buttons = new GpiomonButtons({
      chip: 'auto',
      pins: [{ action: 'capture', pin: 99 }],
      command: tools.gpiomon,
      gpiofindCommand: tools.gpiofind,
      log,
    });
    const c = collect();
    await buttons.start(c.handlers);
    try {
      const failed = await waitFor('failed status', () => c.statuses.find((s) => s.state === 'failed'));
      expect(failed.message).toContain(version === 1 ? 'gpiofind found no line GPIO99' : "cannot find line 'GPIO99'");
    } finally {
      await buttons.stop();
    }
  });

  it('a chip that disappears while watched: failed, restarted, working again', async () => {
    const world = pi5();
    world.events = press('gpiochip4', 22, 0);
    world.after = 'vanish';
    const tools = await install(version, world);
    const buttons = new GpiomonButtons({ chip: 'gpiochip4', pins: [{ action: 'play', pin: 22 }], command: tools.gpiomon, log });
    const c = collect();
    await buttons.start(c.handlers);
    try {
      const failed = await waitFor('failed status', () => c.statuses.find((s) => s.state === 'failed'));
      expect(failed.message).toContain('No such device');
      expect(c.edges.filter((e) => e.pressed)).toHaveLength(3);
      await waitFor('the restarted gpiomon delivers again', () => c.edges.filter((e) => e.pressed).length >= 6);
    } finally {
      await buttons.stop();
    }
  });

  it('button lights: gpioset holds the values until the next change, on the right lines', async () => {
    const setLog = path.join(dir.path, 'set.log');
    const world = { ...pi5(), setLog };
    const tools = await install(version, world);
    const leds = new ButtonLeds({
      chip: 'auto',
      pins: [
        { action: 'capture', pin: 5 },
        { action: 'undo', pin: 6 },
      ],
      command: tools.gpioset,
      gpiofindCommand: tools.gpiofind,
      log,
    });
    await leds.start();
    const read = async () =>
      (await readFile(setLog, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const tool = `gpioset-v${version}`;
    leds.update({ capture: true, undo: false, play: false, finish: false });
    await waitFor('first lights', async () => (await read()).length === 1);
    leds.update({ capture: true, undo: true, play: false, finish: false });
    await waitFor('second lights', async () => (await read()).filter((e) => e.tool).length >= 2);
    await leds.stop();
    const entries = await read();
    expect(entries[0]).toEqual({ tool, chip: 'gpiochip4', values: { 5: 1, 6: 0 }, held: true });
    // The old process let go before the new one asked for the lines.
    if (version === 1) expect(entries[1]).toEqual({ released: true });
    expect(entries.find((e, i) => i > 0 && e.tool)).toEqual({ tool, chip: 'gpiochip4', values: { 5: 1, 6: 1 }, held: true });
  });
});

it('gpiomon not installed: a failed status that says which package to install', async () => {
  const c = collect();
  const buttons = new GpiomonButtons({
    chip: 'auto',
    pins: [{ action: 'capture', pin: 17 }],
    command: path.join(dir.path, 'gpiomon'),
    log,
  });
  await buttons.start(c.handlers);
  expect(buttons.status()).toMatchObject({ state: 'failed', message: expect.stringContaining('gpiod') });
  await buttons.stop();
});
