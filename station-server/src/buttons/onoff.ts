import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ButtonPin } from '../config.js';
import type { Logger } from '../log.js';
import type { ButtonHandlers, ButtonSource, ButtonsStatus } from './source.js';

export interface GpioChipInfo {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** Labels of the SoC's own GPIO controller on the Raspberry Pi models. */
const PI_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2712', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

/**
 * The sysfs number base of the Pi's header GPIOs. Kernels before 6.6 numbered them
 * from 0; newer ones put the SoC controller at 512 (or 571 on a Pi 5), so a BCM
 * pin N is `base + N`. Pure: works on what was read from /sys.
 */
export function gpioBase(chips: readonly GpioChipInfo[]): number | null {
  for (const label of PI_LABELS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip.base;
  }
  // Unknown board: the controller with the most lines is the SoC's.
  const biggest = [...chips].sort((a, b) => b.ngpio - a.ngpio || a.base - b.base)[0];
  return biggest ? biggest.base : null;
}

/** Reads label, base and ngpio of each gpiochip directory under a sysfs gpio class dir (a fake tree in tests). */
export async function readGpioChips(root = '/sys/class/gpio'): Promise<GpioChipInfo[]> {
  const chips: GpioChipInfo[] = [];
  for (const name of (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith('gpiochip'))) {
    const read = (f: string) =>
      readFile(path.join(root, name, f), 'utf8')
        .then((t) => t.trim())
        .catch(() => '');
    const [label, base, ngpio] = await Promise.all([read('label'), read('base'), read('ngpio')]);
    if (base === '' || !/^\d+$/.test(base)) continue;
    chips.push({ name, label, base: Number(base), ngpio: /^\d+$/.test(ngpio) ? Number(ngpio) : 0 });
  }
  return chips;
}

export interface OnoffGpio {
  watch(cb: (err: Error | null | undefined, value: number) => void): void;
  unexport(): void;
}
export type OnoffGpioCtor = new (
  gpio: number,
  direction: 'in',
  edge: 'both',
  options?: { debounceTimeout?: number; activeLow?: boolean },
) => OnoffGpio;

/** The optional native dependency, loaded only when BUTTONS=onoff is chosen. */
export async function loadOnoff(): Promise<{ Gpio: OnoffGpioCtor }> {
  const moduleName = 'onoff';
  try {
    return (await import(moduleName)) as { Gpio: OnoffGpioCtor };
  } catch (err) {
    throw new Error(
      `the optional package onoff is not installed or did not build (npm ci builds it with node-gyp): ${(err as Error).message}`,
    );
  }
}

/** BUTTONS=onoff: the `onoff` package over sysfs, loaded only when chosen (optional dependency). */
export class OnoffButtons implements ButtonSource {
  readonly kind = 'onoff';
  private gpios: OnoffGpio[] = [];
  private current: ButtonsStatus = { kind: 'onoff', state: 'off' };

  constructor(
    private readonly options: {
      pins: readonly ButtonPin[];
      sysRoot?: string;
      log: Logger;
      /** Loads the GPIO class; the `onoff` package unless a test hands in a fake. */
      load?: () => Promise<{ Gpio: OnoffGpioCtor }>;
    },
  ) {}

  status(): ButtonsStatus {
    return { ...this.current };
  }

  async start(handlers: ButtonHandlers): Promise<void> {
    try {
      const mod = await (this.options.load ?? loadOnoff)();
      const base = gpioBase(await readGpioChips(this.options.sysRoot));
      if (base === null) throw new Error('no GPIO chip found under /sys/class/gpio');
      for (const pin of this.options.pins) {
        const gpio = new mod.Gpio(base + pin.pin, 'in', 'both', { activeLow: true });
        gpio.watch((err, value) => {
          if (err) {
            this.options.log.warn({ event: 'buttons.error', err: err.message }, 'GPIO watch error');
            return;
          }
          handlers.onEdge({ action: pin.action, pressed: value === 1, at: performance.now() });
        });
        this.gpios.push(gpio);
      }
      this.current = { kind: 'onoff', state: 'ok' };
    } catch (err) {
      // A broken button backend is a warning, not a crash: the UI's keys still work.
      this.current = { kind: 'onoff', state: 'failed', message: (err as Error).message };
      this.options.log.error({ event: 'buttons.failed', err: (err as Error).message }, 'onoff buttons unavailable');
    }
    handlers.onStatus(this.status());
  }

  async stop(): Promise<void> {
    for (const g of this.gpios) g.unexport();
    this.gpios = [];
    this.current = { kind: 'onoff', state: 'off' };
  }
}
