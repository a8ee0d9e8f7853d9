import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { formatCardDate } from '../src/title.js';

describe('the title card date', () => {
  it('is the day the film was made in the event time zone', () => {
    const cases: Array<[string, string, string]> = [
      ['2026-06-01T23:30:00.000Z', 'UTC', '2026-06-01'],
      ['2026-06-01T23:30:00.000Z', 'Asia/Jerusalem', '2026-06-02'],
      ['2026-06-01T02:00:00.000Z', 'America/New_York', '2026-05-31'],
      ['2026-12-31T22:30:00.000Z', 'Asia/Jerusalem', '2027-01-01'],
    ];
    for (const [iso, zone, day] of cases) expect(formatCardDate(iso, zone), `${iso} in ${zone}`).toBe(day);
  });

  it('falls back to now for a missing or broken date', () => {
    const now = new Date('2026-03-04T10:00:00Z');
    expect(formatCardDate(null, 'UTC', now)).toBe('2026-03-04');
    expect(formatCardDate('yesterday', 'UTC', now)).toBe('2026-03-04');
  });

  it('EVENT_TIMEZONE is validated with the other variables', () => {
    expect(loadConfig({ EVENT_TIMEZONE: 'Asia/Jerusalem' }, '/srv').eventTimeZone).toBe('Asia/Jerusalem');
    expect(() => loadConfig({ EVENT_TIMEZONE: 'Jerusalem' }, '/srv')).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_TIMEZONE: 'Jerusalem' }, '/srv')).toThrow(/EVENT_TIMEZONE: must be a time zone/);
  });
});
