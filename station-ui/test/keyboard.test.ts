import { describe, expect, it } from 'vitest';
import { applyKey, dropLastGrapheme, LAYOUTS, layoutOrder, nextLayout } from '../src/features/finish/keyboard.js';

describe('on-screen keyboard', () => {
  it("starts with the child's language and goes round all three", () => {
    expect(layoutOrder('he')).toEqual(['he', 'ar', 'en']);
    expect(layoutOrder('ar')).toEqual(['ar', 'he', 'en']);
    expect(layoutOrder('en')).toEqual(['en', 'he', 'ar']);
    const order = layoutOrder('ar');
    expect([nextLayout(order, 'ar'), nextLayout(order, 'he'), nextLayout(order, 'en')]).toEqual(['he', 'en', 'ar']);
  });

  it('has every letter of each alphabet once, right to left where it should be', () => {
    const letters = (l: keyof typeof LAYOUTS) => LAYOUTS[l].rows.slice(1).flat().join('');
    expect([...letters('en')].sort().join('')).toBe('abcdefghijklmnopqrstuvwxyz');
    // 22 Hebrew letters and the 5 final forms.
    expect(new Set(letters('he')).size).toBe(27);
    expect([...letters('he')].every((c) => /\p{Script=Hebrew}/u.test(c))).toBe(true);
    expect([...letters('ar')].every((c) => /\p{Script=Arabic}/u.test(c))).toBe(true);
    for (const c of 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي'.replace('ذ', '')) expect(letters('ar'), c).toContain(c);
    expect([LAYOUTS.en.dir, LAYOUTS.he.dir, LAYOUTS.ar.dir]).toEqual(['ltr', 'rtl', 'rtl']);
    for (const l of ['en', 'he', 'ar'] as const) expect(LAYOUTS[l].rows[0]).toEqual([...'1234567890']);
  });

  it('types letters, one space between words, and stops at the limit', () => {
    let text = '';
    for (const k of ['ח', 'ת', 'ו', 'ל']) text = applyKey(text, { kind: 'char', text: k }, 10);
    expect(text).toBe('חתול');
    expect(applyKey('', { kind: 'space' }, 10)).toBe('');
    expect(applyKey('a', { kind: 'space' }, 10)).toBe('a ');
    expect(applyKey('a ', { kind: 'space' }, 10)).toBe('a ');
    expect(applyKey('abc', { kind: 'char', text: 'd' }, 3)).toBe('abc');
    expect(applyKey('ab', { kind: 'char', text: 'لا' }, 3)).toBe('ab');
    expect(applyKey('ab', { kind: 'char', text: 'لا' }, 4)).toBe('abلا');
    expect(applyKey('abc', { kind: 'space' }, 3)).toBe('abc');
  });

  it('backspace takes away one whole character, marks and emoji included', () => {
    expect(applyKey('cat', { kind: 'backspace' }, 10)).toBe('ca');
    expect(applyKey('', { kind: 'backspace' }, 10)).toBe('');
    expect(dropLastGrapheme('שָׁלוֹם')).toBe('שָׁלוֹ');
    expect(dropLastGrapheme('a👍🏽')).toBe('a');
    expect(dropLastGrapheme('e\u0301')).toBe('');
  });
});
