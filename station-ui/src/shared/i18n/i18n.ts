import type { Locale } from '@stop-motion/protocol';
import ar from './locales/ar.json';
import en from './locales/en.json';
import he from './locales/he.json';

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

/** Every locale must have every key: the type check fails on a missing one. */
export const messages: Record<Locale, Messages> = { en, he, ar };

export type Direction = 'ltr' | 'rtl';

export function directionOf(locale: Locale): Direction {
  return locale === 'he' || locale === 'ar' ? 'rtl' : 'ltr';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const table = messages[locale];
  const format = new Intl.NumberFormat(locale);
  return (key, vars) => {
    const text = table[key] ?? messages.en[key] ?? key;
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = vars[name];
      if (value === undefined) return whole;
      return typeof value === 'number' ? format.format(value) : value;
    });
  };
}

/**
 * The on-screen direction of "forward" (newer frames, next step). Arrows and the
 * film strip use it so a right-to-left layout mirrors them.
 */
export function forwardSign(dir: Direction): 1 | -1 {
  return dir === 'rtl' ? -1 : 1;
}

/** Mirrors an x offset (px or %) for right-to-left layouts; used by animations that CSS logical properties cannot express. */
export function inlineX(x: number, dir: Direction): number {
  return x * forwardSign(dir);
}
