import type { TrackMood } from '@stop-motion/protocol';
/**
 * The default soundtracks, written here as scores (see notation.ts) and rendered to
 * audio by FluidSynth at build time. One short piece per mood; each ends on a held
 * chord so it can be cut anywhere with a fade, or played whole.
 */
export interface Voice {
    /** General MIDI program (0–127); ignored for drums. */
    program: number;
    drums?: boolean;
    /** 0–1. */
    velocity: number;
    /** How much of each note's length sounds (staccato below 1). */
    legato?: number;
    line: string;
}
export interface Piece {
    id: string;
    mood: TrackMood;
    title: string;
    bpm: number;
    beatsPerBar: number;
    bars: number;
    /** Where the station's preview starts, in beats. */
    previewFrom: number;
    voices: Voice[];
}
export declare const PIECES: readonly Piece[];
/** Seconds a piece lasts. */
export declare function secondsOf(p: Piece): number;
