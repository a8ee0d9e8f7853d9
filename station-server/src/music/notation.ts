/**
 * A small text notation for the default tracks, so a piece reads like a score:
 * `E5/1 G5/0.5 C5+E5+G5/2 r/1` — pitch (or `+`-joined chord, or `r` for a rest),
 * a slash and its length in beats. `|` marks bars and is only for the eye. Drum
 * voices name General MIDI percussion keys by number or by the short names below.
 */

export interface NoteEvent {
  /** MIDI key numbers sounding together; empty for a rest. */
  keys: number[];
  /** Start, in beats from the start of the piece. */
  at: number;
  beats: number;
}

const STEP: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** General MIDI percussion (channel 10) by short name. */
export const DRUM: Record<string, number> = {
  kick: 36,
  snare: 38,
  clap: 39,
  hat: 42,
  openhat: 46,
  lowtom: 45,
  midtom: 47,
  hitom: 50,
  crash: 49,
  ride: 51,
  tambourine: 54,
  cowbell: 56,
  vibraslap: 58,
  hiwood: 76,
  lowood: 77,
  triangle: 81,
};

/** `C4` → 60, `F#3` → 54, `Bb2` → 46. */
export function keyOf(name: string): number {
  const m = /^([A-G])(#|b)?(-?\d)$/.exec(name);
  if (!m) {
    const drum = DRUM[name];
    if (drum !== undefined) return drum;
    if (/^\d{1,3}$/.test(name) && Number(name) <= 127) return Number(name);
    throw new Error(`"${name}" is not a note (like C4, F#3, Bb2) or a drum`);
  }
  const step = STEP[m[1] as string] as number;
  const accidental = m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0;
  const key = (Number(m[3]) + 1) * 12 + step + accidental;
  if (key < 0 || key > 127) throw new Error(`"${name}" is outside the MIDI range`);
  return key;
}

/** Parses a line into timed events starting at beat 0. */
export function parseLine(line: string): NoteEvent[] {
  const events: NoteEvent[] = [];
  let at = 0;
  for (const token of line.split(/\s+/)) {
    if (token === '' || token === '|') continue;
    const slash = token.lastIndexOf('/');
    const beats = Number(token.slice(slash + 1));
    if (slash <= 0 || !Number.isFinite(beats) || beats <= 0) throw new Error(`"${token}" is not <note>/<beats>`);
    const pitch = token.slice(0, slash);
    events.push({ keys: pitch === 'r' ? [] : pitch.split('+').map(keyOf), at, beats });
    at += beats;
  }
  return events;
}

/** The length of a line in beats. */
export function beatsOf(line: string): number {
  return parseLine(line).reduce((sum, e) => sum + e.beats, 0);
}
