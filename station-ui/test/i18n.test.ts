import { localeSchema } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { directionOf, forwardSign, inlineX, messages, translator } from '../src/shared/i18n/i18n.js';

describe('i18n', () => {
  it('every locale has every key, none empty', () => {
    const keys = Object.keys(messages.en).sort();
    for (const locale of localeSchema.options) {
      expect(Object.keys(messages[locale]).sort()).toEqual(keys);
      for (const [k, v] of Object.entries(messages[locale])) expect(v.trim(), `${locale}:${k}`).not.toBe('');
    }
  });

  it('placeholders are the same in every locale', () => {
    const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const [key, text] of Object.entries(messages.en)) {
      for (const locale of ['he', 'ar'] as const)
        expect(holes(messages[locale][key as keyof typeof messages.en]), `${locale}:${key}`).toEqual(holes(text));
    }
  });

  it('Hebrew and Arabic are right-to-left and mirror inline offsets', () => {
    expect(directionOf('en')).toBe('ltr');
    expect(directionOf('he')).toBe('rtl');
    expect(directionOf('ar')).toBe('rtl');
    expect(forwardSign('rtl')).toBe(-1);
    expect(inlineX(30, 'rtl')).toBe(-30);
    expect(inlineX(30, 'ltr')).toBe(30);
  });

  it('fills placeholders, numbers formatted for the locale', () => {
    expect(translator('en')('make.budget', { count: 3, max: 300 })).toBe('3 of 300 pictures');
    expect(translator('he')('make.budget', { count: 3, max: 300 })).toContain('300');
    expect(translator('ar')('make.budget', { count: 3, max: 300 })).toMatch(/(300|٣٠٠)/);
  });
});
