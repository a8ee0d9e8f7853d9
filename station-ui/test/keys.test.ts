import { describe, expect, it } from 'vitest';
import { actionForKey, DEFAULT_KEYS, isOperatorKey, type KeyLike, keyMap, keysByAction } from '../src/shared/input/keys.js';

const key = (k: string, code = '', extra: Partial<KeyLike> = {}): KeyLike => ({
  key: k,
  code,
  repeat: false,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  ...extra,
});

describe('key mapping', () => {
  const table: Array<[string, string, string | null]> = [
    ['Enter', 'Enter', 'capture'],
    [' ', 'Space', 'capture'],
    ['Enter', 'NumpadEnter', 'capture'],
    ['*', 'NumpadMultiply', 'undo'],
    ['Backspace', 'Backspace', 'undo'],
    ['0', 'Numpad0', 'play'],
    ['Insert', 'Numpad0', 'play'], // numpad with NumLock off still plays
    ['.', 'NumpadDecimal', 'finish'],
    ['Delete', 'NumpadDecimal', 'finish'],
    [',', 'NumpadDecimal', 'finish'], // keypads of locales with a decimal comma
    ['a', 'KeyA', null],
    ['1', 'Digit1', null],
  ];
  for (const [k, code, action] of table) {
    it(`${JSON.stringify(k)} (${code}) → ${action}`, () => {
      expect(actionForKey(keyMap(), key(k, code))).toBe(action);
    });
  }

  it('ignores auto-repeat and modifier shortcuts', () => {
    expect(actionForKey(keyMap(), key('Enter', 'Enter', { repeat: true }))).toBeNull();
    expect(actionForKey(keyMap(), key('0', 'Digit0', { ctrlKey: true }))).toBeNull();
    expect(actionForKey(keyMap(), key('.', 'Period', { metaKey: true }))).toBeNull();
  });

  it('settings remap keys over the defaults and add new ones', () => {
    const map = keyMap({ a: 'capture', Enter: 'finish', F5: 'undo' });
    expect(actionForKey(map, key('a', 'KeyA'))).toBe('capture');
    expect(actionForKey(map, key('Enter', 'Enter'))).toBe('finish');
    expect(actionForKey(map, key('F5', 'F5'))).toBe('undo');
    expect(actionForKey(map, key('0', 'Digit0'))).toBe('play');
  });

  it('lists keys per action for the designer panel, without duplicates for Space', () => {
    const by = keysByAction(DEFAULT_KEYS);
    expect(by.capture).toContain('Enter');
    expect(by.capture.filter((k) => k === 'Space')).toHaveLength(1);
    expect(by.undo).toEqual(expect.arrayContaining(['*', 'Backspace']));
  });

  it('F2 and Ctrl+Alt+O open the operator corner; O alone does not', () => {
    expect(isOperatorKey({ key: 'F2', code: 'F2', ctrlKey: false, altKey: false })).toBe(true);
    expect(isOperatorKey({ key: 'o', code: 'KeyO', ctrlKey: true, altKey: true })).toBe(true);
    expect(isOperatorKey({ key: 'o', code: 'KeyO', ctrlKey: false, altKey: false })).toBe(false);
  });
});
