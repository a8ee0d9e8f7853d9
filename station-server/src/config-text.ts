// The small languages some station variables are written in; config.ts turns their
// results into the configuration or into the variable's error.
import { type ButtonAction, buttonActionSchema } from '@stop-motion/protocol';

export const DEFAULT_PINS: readonly ButtonPin[] = [
  { action: 'capture', pin: 17 },
  { action: 'undo', pin: 27 },
  { action: 'play', pin: 22 },
  { action: 'finish', pin: 23 },
];

/** `capture:17,undo:27` → [{action, pin}] */
export function parseButtonPins(text: string): { ok: true; pins: ButtonPin[] } | { ok: false; reason: string } {
  const pins: ButtonPin[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const match = /^([a-z]+):(\d{1,4})$/.exec(part);
    const action = buttonActionSchema.safeParse(match?.[1]);
    if (!match || !action.success) return { ok: false, reason: `"${part.slice(0, 40)}" is not <capture|undo|play|finish>:<pin>` };
    const pin = Number(match[2]);
    if (pins.some((p) => p.pin === pin)) return { ok: false, reason: `pin ${pin} is used twice` };
    if (pins.some((p) => p.action === action.data)) return { ok: false, reason: `action ${action.data} is mapped twice` };
    pins.push({ action: action.data, pin });
  }
  return { ok: true, pins };
}
export type ButtonPin = { action: ButtonAction; pin: number };

export type ActionMap = Record<string, ButtonAction>;

/** `Space:capture,Backspace:undo` → keyboard keys the UI maps to actions. */
export function parseKeys(text: string, keyName: string): { ok: true; keys: ActionMap } | { ok: false; reason: string } {
  const keys: ActionMap = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const i = part.lastIndexOf(':');
    const action = buttonActionSchema.safeParse(part.slice(i + 1));
    if (i <= 0 || !action.success) return { ok: false, reason: `"${part.slice(0, 40)}" is not <${keyName}>:<capture|undo|play|finish>` };
    keys[part.slice(0, i)] = action.data;
  }
  return { ok: true, keys };
}

/** `finishx3` → the finish button pressed three times; `none` → null. */
export function parseGesture(text: string): { action: ButtonAction; presses: number } | null {
  const m = /^(capture|undo|play|finish)x([2-9])$/.exec(text);
  return m ? { action: buttonActionSchema.parse(m[1]), presses: Number(m[2]) } : null;
}

/**
 * Splits a command line into argv the way a POSIX shell would for plain words and
 * quotes, without expanding anything: `systemctl --user restart "kiosk app"`.
 * Null when a quote is left open.
 */
export function parseCommandLine(text: string): string[] | null {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = null;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text.charAt(i + 1))) current += text.charAt(++i);
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text.charAt(++i);
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote !== null) return null;
  if (inWord) args.push(current);
  return args;
}
