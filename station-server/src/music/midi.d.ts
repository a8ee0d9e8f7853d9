import type { Piece } from './pieces.js';
/** A piece as a Standard MIDI File (pure). */
export declare function pieceToMidi(piece: Piece): Uint8Array;
