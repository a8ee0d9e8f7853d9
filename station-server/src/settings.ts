import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurable } from '@stop-motion/kit';
import { type UiSettings, uiSettingsSchema } from '@stop-motion/protocol';
import type { z } from 'zod';
import type { StationConfig } from './config.js';
import type { Logger } from './log.js';

/** What the UI may change at runtime; kept across restarts in the data dir. */
export const runtimeSettingsSchema = uiSettingsSchema.pick({ locale: true, sound: true, onionOpacity: true }).partial();
export type RuntimeSettings = z.infer<typeof runtimeSettingsSchema>;

export class SettingsStore {
  private overrides: RuntimeSettings = {};
  private readonly file: string;

  constructor(
    private readonly config: StationConfig,
    private readonly log: Logger,
  ) {
    this.file = path.join(config.dataDir, 'settings.json');
  }

  async open(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return;
    try {
      const parsed = runtimeSettingsSchema.safeParse(JSON.parse(text));
      if (parsed.success) this.overrides = parsed.data;
      else this.log.warn({ event: 'settings.invalid' }, 'ignoring invalid settings.json');
    } catch {
      this.log.warn({ event: 'settings.invalid' }, 'ignoring unreadable settings.json');
    }
  }

  get(): UiSettings {
    const u = this.config.ui;
    return {
      locale: this.overrides.locale ?? u.locale,
      idleMinutes: u.idleMinutes,
      idleAction: u.idleAction,
      titleEnabled: u.titleEnabled,
      sound: this.overrides.sound ?? u.sound,
      onionOpacity: this.overrides.onionOpacity ?? u.onionOpacity,
      galleryPublicUrl: u.galleryPublicUrl,
      claimSeconds: u.claimSeconds,
      designer: u.designer,
      ...(this.config.buttons.keys ? { keys: this.config.buttons.keys } : {}),
      ...(this.config.buttons.gamepad ? { gamepad: this.config.buttons.gamepad } : {}),
      buttonDebounceMs: this.config.buttons.debounceMs,
    };
  }

  async set(change: RuntimeSettings): Promise<UiSettings> {
    const clean = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as RuntimeSettings;
    this.overrides = { ...this.overrides, ...clean };
    await writeFileDurable(this.file, `${JSON.stringify(this.overrides)}\n`);
    return this.get();
  }
}
