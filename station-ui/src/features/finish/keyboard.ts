import type { Locale } from '@stop-motion/protocol';

/**
 * The on-screen keyboard for the film's name: a kiosk has no keyboard, and a child
 * types in the alphabet they know. Letters only (plus digits), in each language's
 * standard layout so a parent finds the keys where they expect them: QWERTY, Hebrew
 * SI-1452 and Arabic 101. Pure data and functions; the screen renders them.
 */
export interface KeyboardLayout {
  locale: Locale;
  dir: 'ltr' | 'rtl';
  /** The label of the switch key that selects this layout. */
  name: string;
  rows: string[][];
}

const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];

export const LAYOUTS: Record<Locale, KeyboardLayout> = {
  en: {
    locale: 'en',
    dir: 'ltr',
    name: 'ABC',
    rows: [digits, [...'qwertyuiop'], [...'asdfghjkl'], [...'zxcvbnm']],
  },
  he: {
    locale: 'he',
    dir: 'rtl',
    name: 'אבג',
    rows: [digits, [...'קראטוןםפ'], [...'שדגכעיחלךף'], [...'זסבהנמצתץ']],
  },
  ar: {
    locale: 'ar',
    dir: 'rtl',
    name: 'أبج',
    // «لا» is one key on the Arabic keyboard and types two letters.
    rows: [digits, [...'ضصثقفغعهخحجد'], [...'شسيبلاتنمكط'], ['ئ', 'ء', 'ؤ', 'ر', 'لا', 'ى', 'ة', 'و', 'ز', 'ظ']],
  },
};

/** The child's UI language first, then the others: the switch key goes round them. */
export function layoutOrder(uiLocale: Locale): Locale[] {
  const all: Locale[] = ['he', 'ar', 'en'];
  return [uiLocale, ...all.filter((l) => l !== uiLocale)];
}

export function nextLayout(order: readonly Locale[], current: Locale): Locale {
  const i = order.indexOf(current);
  return order[(i + 1) % order.length] ?? current;
}

export type KeyPress = { kind: 'char'; text: string } | { kind: 'space' } | { kind: 'backspace' };

/** What a key does to the name typed so far; `max` is the title's length limit. */
export function applyKey(text: string, key: KeyPress, max: number): string {
  switch (key.kind) {
    case 'char':
      return text.length + key.text.length <= max ? text + key.text : text;
    case 'space':
      // No leading or double spaces: a tap too many changes nothing.
      return text.length === 0 || text.endsWith(' ') || text.length >= max ? text : `${text} `;
    case 'backspace':
      return dropLastGrapheme(text);
    default: {
      const never: never = key;
      return never;
    }
  }
}

/** Removes the last user-perceived character (a letter with its marks, an emoji). */
export function dropLastGrapheme(text: string): string {
  if (text.length === 0) return text;
  const segments = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)];
  const last = segments.at(-1);
  return last ? text.slice(0, last.index) : text;
}
