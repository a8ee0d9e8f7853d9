import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { buildMpvArgs } from '../src/mpv.js';
import { isQuiet, msUntilChange, parseQuietHours, soundAt } from '../src/screen-sound.js';

describe('quiet hours (table tests)', () => {
  it.each<[string, { startMinute: number; endMinute: number } | null]>([
    ['22:00-08:00', { startMinute: 1320, endMinute: 480 }],
    ['13:30-14:15', { startMinute: 810, endMinute: 855 }],
    [' 00:00 - 23:59 ', { startMinute: 0, endMinute: 1439 }],
    ['22:00-22:00', null],
    ['24:00-08:00', null],
    ['22:00', null],
    ['10pm-8am', null],
    ['22:00-08:00-09:00', null],
    ['2:00-08:00', null],
  ])('parseQuietHours(%j)', (text, expected) => {
    expect(parseQuietHours(text)).toEqual(expected);
  });

  const night = { startMinute: 22 * 60, endMinute: 8 * 60 };
  const lunch = { startMinute: 12 * 60, endMinute: 13 * 60 };
  it.each<[string, typeof night, string, string, boolean]>([
    ['across midnight, before', night, '2026-12-02T21:59:59Z', 'UTC', false],
    ['across midnight, start', night, '2026-12-02T22:00:00Z', 'UTC', true],
    ['across midnight, after midnight', night, '2026-12-03T03:00:00Z', 'UTC', true],
    ['across midnight, last minute', night, '2026-12-03T07:59:59Z', 'UTC', true],
    ['across midnight, end', night, '2026-12-03T08:00:00Z', 'UTC', false],
    ['same day, inside', lunch, '2026-12-02T12:30:00Z', 'UTC', true],
    ['same day, end', lunch, '2026-12-02T13:00:00Z', 'UTC', false],
    // 20:00 UTC is 22:00 in Jerusalem (UTC+2 in December): the window is in EVENT_TIMEZONE.
    ['event zone', night, '2026-12-02T20:00:00Z', 'Asia/Jerusalem', true],
    ['event zone, before', night, '2026-12-02T19:59:00Z', 'Asia/Jerusalem', false],
  ])('isQuiet: %s', (_, q, at, zone, expected) => {
    expect(isQuiet(q, new Date(at), zone)).toBe(expected);
  });

  it.each<[string, string, number]>([
    ['2026-12-02T21:59:00Z', 'UTC', 60_000],
    ['2026-12-02T22:00:00Z', 'UTC', 10 * 3_600_000],
    ['2026-12-03T07:59:59.500Z', 'UTC', 1000],
    ['2026-12-02T12:00:00Z', 'UTC', 10 * 3_600_000],
    ['2026-12-02T19:00:00Z', 'Asia/Jerusalem', 3_600_000],
  ])('msUntilChange at %s in %s', (at, zone, expected) => {
    expect(msUntilChange(night, new Date(at), zone)).toBe(expected);
  });

  it('mute all day wins over the window; the volume stays as set', () => {
    const c = { volume: 60, mute: false, quietHours: night, timeZone: 'UTC' };
    expect(soundAt(c, new Date('2026-12-02T12:00:00Z'))).toEqual({ volume: 60, mute: false, quiet: false });
    expect(soundAt(c, new Date('2026-12-02T23:00:00Z'))).toEqual({ volume: 60, mute: true, quiet: true });
    expect(soundAt({ ...c, mute: true }, new Date('2026-12-02T12:00:00Z'))).toEqual({ volume: 60, mute: true, quiet: false });
  });
});

describe('SCREEN_* config', () => {
  it('defaults: volume 80, not muted, no quiet hours', () => {
    const c = loadConfig({});
    expect([c.screenVolume, c.screenMute, c.screenQuietHours]).toEqual([80, false, null]);
  });

  it('reads the three variables', () => {
    const c = loadConfig({ SCREEN_VOLUME: '0', SCREEN_MUTE: 'true', SCREEN_QUIET_HOURS: '21:30-07:00' });
    expect([c.screenVolume, c.screenMute, c.screenQuietHours]).toEqual([0, true, { startMinute: 1290, endMinute: 420 }]);
  });

  it('lists every bad one', () => {
    let err: unknown;
    try {
      loadConfig({ SCREEN_VOLUME: '101', SCREEN_MUTE: 'sometimes', SCREEN_QUIET_HOURS: '10pm-8am' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const name of ['SCREEN_VOLUME', 'SCREEN_MUTE', 'SCREEN_QUIET_HOURS']) expect(problems).toContain(name);
  });
});

describe('mpv arguments for sound', () => {
  it('plays the audio track at the operator’s volume, never amplified, before the extra arguments', () => {
    const args = buildMpvArgs({ socket: '/s', fullscreen: false, extraArgs: ['--ao=alsa'], sound: { volume: 35, mute: true } });
    expect(args).toEqual(expect.arrayContaining(['--aid=auto', '--volume-max=100', '--volume=35', '--mute=yes']));
    expect(args).not.toContain('--no-audio');
    expect(args.some((a) => a.startsWith('--ao='))).toBe(args.at(-1) === '--ao=alsa');
  });
});
