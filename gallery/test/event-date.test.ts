import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { formatDate, MESSAGES } from '../src/i18n.js';
import { renderFilm } from '../src/pages/pages.js';
import { newId, sampleMeta } from './fixtures.js';

// 23:30 UTC on 1 June is already 2 June in Jerusalem (UTC+3 in summer).
const LATE = '2026-06-01T23:30:00.000Z';

describe('dates in the event time zone', () => {
  it('formats a film date as the day it was in EVENT_TIMEZONE', () => {
    expect(formatDate(LATE, 'en', 'UTC')).toBe('Jun 1, 2026');
    expect(formatDate(LATE, 'en', 'Asia/Jerusalem')).toBe('Jun 2, 2026');
    expect(formatDate(LATE, 'he', 'Asia/Jerusalem')).toContain('2');
    expect(formatDate('not a date', 'en', 'UTC')).toBe('not a date');
  });

  it('shows that day on the film page', () => {
    const film = sampleMeta(newId(Date.parse(LATE)), { createdAt: LATE });
    const ctx = (timeZone: string) => ({
      locale: 'en' as const,
      t: MESSAGES.en,
      path: `/m/${film.id}`,
      assets: { css: '/a.css', js: '/a.js', icon: '/i.svg' },
      baseUrl: 'https://films.example',
      timeZone,
    });
    const urls = { video: 'https://s3/v.mp4', poster: 'https://s3/p.jpg' };
    expect(renderFilm(ctx('Asia/Jerusalem'), film, urls)).toContain('Jun 2, 2026');
    expect(renderFilm(ctx('UTC'), film, urls)).toContain('Jun 1, 2026');
  });

  it('EVENT_TIMEZONE defaults to the host zone and refuses an unknown one with the other problems', () => {
    const base = { S3_BUCKET: 'films' };
    expect(loadConfig({ ...base, EVENT_TIMEZONE: 'Asia/Jerusalem' }).EVENT_TIMEZONE).toBe('Asia/Jerusalem');
    expect(loadConfig(base).EVENT_TIMEZONE).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    try {
      loadConfig({ EVENT_TIMEZONE: 'Mars/Olympus' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/^EVENT_TIMEZONE: must be a time zone/), expect.stringMatching(/^S3_BUCKET/)]),
      );
    }
  });
});
