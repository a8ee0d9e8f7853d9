import { type TracksFile } from '@stop-motion/protocol';
import { type Piece } from './pieces.js';
/**
 * Renders the default pieces to a tracks folder: MIDI → FluidSynth (WAV) → ffmpeg
 * (loudness-normalised Ogg/Opus, plus a short preview for the station's speaker).
 */
/** FluidR3_GM from Debian's fluid-soundfont-gm: MIT licensed, so the rendered tracks are free to use. */
export declare const DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
export declare const SAMPLE_RATE = 48000;
/** The last chord's release after the final beat, kept before the file ends. */
export declare const RELEASE_SECONDS = 1;
export declare const FADE_SECONDS = 1.5;
export declare const PREVIEW_SECONDS = 6;
/** EBU R128 integrated loudness of every track (the processor normalises the mix to the same). */
export declare const LOUDNESS_LUFS = -16;
export declare const AUTHOR = "Stop Motion Stations";
export declare const LICENCE = "CC0-1.0";
/** Where the build puts the default set: generated, never checked in. */
export declare const DEFAULT_TRACKS_DIR: string;
/** Seconds the full track lasts. */
export declare const trackSeconds: (p: Piece) => number;
export declare function fluidsynthArgs(o: {
    soundfont: string;
    midi: string;
    wav: string;
}): string[];
/** The whole piece: cut after its release (FluidSynth renders seconds of silence past the end), faded out. */
export declare function fullTrackArgs(o: {
    wav: string;
    out: string;
    seconds: number;
}): string[];
/** A few seconds from `from`, faded in and out so it never clicks. */
export declare function previewArgs(o: {
    wav: string;
    out: string;
    from: number;
}): string[];
/** The tracks.json of the default set (pure). */
export declare function defaultTracksFile(pieces?: readonly Piece[]): TracksFile;
/** The first error FluidSynth printed, if any (pure). */
export declare function fluidsynthError(stderr: string): string | null;
export interface BuildOptions {
    outDir?: string;
    soundfont?: string;
    pieces?: readonly Piece[];
    /** Deadline for each FluidSynth or ffmpeg run. */
    timeoutMs?: number;
}
/**
 * Renders every piece into `outDir` (MIDI, full track, preview, tracks.json). Built
 * in a temp folder beside it and renamed into place, so a killed build leaves either
 * the old set or the new one.
 */
export declare function buildDefaultTracks(o?: BuildOptions): Promise<string>;
/** Builds the default set when it is missing or was made from other sources; returns its folder. */
export declare function ensureDefaultTracks(o?: BuildOptions): Promise<string>;
