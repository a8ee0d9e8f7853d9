import type { Logger } from './log.js';

/** A daily window in the event's zone, minutes after midnight; `start > end` crosses midnight. */
export interface QuietHours {
  startMinute: number;
  endMinute: number;
}

export interface ScreenSoundConfig {
  /** mpv volume 0–100 (100 = the film as mixed). */
  volume: number;
  /** Muted all day. */
  mute: boolean;
  quietHours: QuietHours | null;
  timeZone: string;
}

export interface SoundSetting {
  volume: number;
  mute: boolean;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `22:00-08:00` → minutes; null for anything else (the config lists it as invalid). Pure. */
export function parseQuietHours(text: string): QuietHours | null {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return null;
  const [a, b] = parts.map((p) => HHMM.exec(p as string));
  if (!a || !b) return null;
  const startMinute = Number(a[1]) * 60 + Number(a[2]);
  const endMinute = Number(b[1]) * 60 + Number(b[2]);
  if (startMinute === endMinute) return null;
  return { startMinute, endMinute };
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** Seconds since local midnight in `timeZone` at `at`. Pure. */
export function secondsOfDay(at: Date, timeZone: string): number {
  let f = clocks.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    clocks.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
}

/** Whether `at` falls in the window (start inclusive, end exclusive). Pure. */
export function isQuiet(q: QuietHours, at: Date, timeZone: string): boolean {
  const minute = Math.floor(secondsOfDay(at, timeZone) / 60);
  return q.startMinute < q.endMinute ? minute >= q.startMinute && minute < q.endMinute : minute >= q.startMinute || minute < q.endMinute;
}

/**
 * Milliseconds until the window next starts or ends, at least 1 s. Pure. Capped by the
 * caller: a daylight-saving change moves the local clock under a long timer.
 */
export function msUntilChange(q: QuietHours, at: Date, timeZone: string): number {
  const now = secondsOfDay(at, timeZone) + at.getMilliseconds() / 1000;
  const until = (minute: number) => {
    const s = (minute * 60 - now + 86_400) % 86_400;
    return s === 0 ? 86_400 : s;
  };
  return Math.max(1000, Math.ceil(Math.min(until(q.startMinute), until(q.endMinute)) * 1000));
}

/** What the big screen should sound like at `at`. Pure. */
export function soundAt(c: ScreenSoundConfig, at: Date): SoundSetting & { quiet: boolean } {
  const quiet = c.quietHours !== null && isQuiet(c.quietHours, at, c.timeZone);
  return { volume: c.volume, mute: c.mute || quiet, quiet };
}

const RECHECK_CAP_MS = 5 * 60_000;

/**
 * Keeps the big screen's volume and mute as configured: applied at every (re)connect by the
 * player, and again the moment quiet hours start or end.
 */
export class ScreenSound {
  private timer: NodeJS.Timeout | null = null;
  private last: (SoundSetting & { quiet: boolean }) | null = null;

  constructor(
    private readonly options: {
      config: ScreenSoundConfig;
      apply: (s: SoundSetting) => Promise<void>;
      log: Logger;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  /** The setting for now (the player asks for it when it starts or reconnects to mpv). */
  current(): SoundSetting & { quiet: boolean } {
    return soundAt(this.options.config, this.now());
  }

  start(): void {
    void this.check();
  }

  /** Applies the setting if it changed since the last check; then waits for the next window edge. */
  async check(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.current();
    const changed = !this.last || this.last.mute !== s.mute || this.last.volume !== s.volume;
    if (changed) {
      try {
        await this.options.apply({ volume: s.volume, mute: s.mute });
        if (this.last)
          this.options.log.info({ event: 'player.sound_changed', volume: s.volume, mute: s.mute, quiet: s.quiet }, 'player sound changed');
        this.last = s;
      } catch (err) {
        // Not applied (mpv away): the player applies current() when it reconnects; try again soon too.
        this.options.log.warn({ event: 'player.sound_failed', err: (err as Error).message }, 'player sound failed');
      }
    }
    const q = this.options.config.quietHours;
    if (q === null && this.last) return;
    const wait = q ? Math.min(RECHECK_CAP_MS, msUntilChange(q, this.now(), this.options.config.timeZone)) : 5000;
    this.timer = setTimeout(() => void this.check(), wait);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
