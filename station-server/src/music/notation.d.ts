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
/** General MIDI percussion (channel 10) by short name. */
export declare const DRUM: Record<string, number>;
/** `C4` → 60, `F#3` → 54, `Bb2` → 46. */
export declare function keyOf(name: string): number;
/** Parses a line into timed events starting at beat 0. */
export declare function parseLine(line: string): NoteEvent[];
/** The length of a line in beats. */
export declare function beatsOf(line: string): number;
