// Over 300 lines because it is data: the notes of the default soundtracks, one score per mood, read as music rather than code.
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

interface Chord {
  root: string;
  fifth: string;
  notes: string[];
}
const ch = (bass: string, notes: string): Chord => {
  const [root, fifth] = bass.split(' ') as [string, string];
  return { root, fifth, notes: notes.split(' ') };
};
const together = (notes: string[]) => notes.join('+');
/** One bar per chord name, each written by `bar`. */
const each = (table: Record<string, Chord>, names: string, bar: (c: Chord, i: number) => string) =>
  names
    .split(' ')
    .map((n, i) => {
      const c = table[n];
      if (!c) throw new Error(`no chord ${n}`);
      return bar(c, i);
    })
    .join(' | ');
const times = (n: number, s: string) => Array.from({ length: n }, () => s).join(' | ');

// ---- happy: a bouncy tune in C major ---------------------------------------------
const happyChords = {
  C: ch('C2 G2', 'C4 E4 G4'),
  G: ch('G2 D3', 'B3 D4 G4'),
  Am: ch('A2 E3', 'A3 C4 E4'),
  F: ch('F2 C3', 'A3 C4 F4'),
};
const happyProgression = 'C G Am F C G Am F C G Am F C G F G';
const happyTune = [
  'E5/1 G5/0.5 E5/0.5 C5/1 D5/1',
  'D5/1 B4/0.5 D5/0.5 G5/2',
  'A5/1 G5/0.5 E5/0.5 C5/1 E5/1',
  'F5/1 E5/1 D5/2',
  'E5/0.5 F5/0.5 G5/1 G5/1 E5/1',
  'D5/0.5 E5/0.5 F5/1 F5/1 D5/1',
  'C5/1 E5/1 A5/1 G5/1',
  'F5/1 D5/1 B4/1 G4/1',
].join(' | ');
const happy: Piece = {
  id: 'sunny-day',
  mood: 'happy',
  title: 'Sunny Day',
  bpm: 116,
  beatsPerBar: 4,
  bars: 17,
  previewFrom: 0,
  voices: [
    { program: 0, velocity: 0.85, line: `${happyTune} | ${happyTune} | C5+E5+G5+C6/4` },
    {
      program: 12,
      velocity: 0.55,
      legato: 0.5,
      line: `${each(happyChords, happyProgression, (c) => times(4, `r/0.5 ${together(c.notes)}/0.5`))} | C4+E4+G4/4`,
    },
    {
      program: 32,
      velocity: 0.8,
      line: `${each(happyChords, happyProgression, (c) => `${c.root}/1 ${c.fifth}/1 ${c.root}/1 ${c.fifth}/1`)} | C2/4`,
    },
    {
      program: 0,
      drums: true,
      velocity: 0.6,
      line: `${times(16, 'kick+hat/0.5 hat/0.5 snare+hat/0.5 hat/0.5 kick+hat/0.5 kick+hat/0.5 snare+hat/0.5 hat/0.5')} | kick+crash/4`,
    },
  ],
};

// ---- spooky: creeping pizzicato and a celesta in D minor -------------------------
const spookyChords = {
  Dm: ch('D2 A2', 'D4 F4 A4'),
  Bb: ch('Bb1 F2', 'D4 F4 Bb4'),
  A: ch('A1 E2', 'C#4 E4 A4'),
  Gm: ch('G1 D2', 'D4 G4 Bb4'),
};
const spookyProgression = 'Dm Dm Bb A Dm Dm Gm A Dm Bb Gm A';
const spooky: Piece = {
  id: 'creaky-stairs',
  mood: 'spooky',
  title: 'Creaky Stairs',
  bpm: 92,
  beatsPerBar: 4,
  bars: 13,
  previewFrom: 0,
  voices: [
    {
      program: 8,
      velocity: 0.8,
      line: [
        'D5/1 F5/1 A5/1 G#5/1',
        'A5/2 r/1 D5/1',
        'F5/1 E5/1 F5/1 D5/1',
        'C#5/2 E5/1 A4/1',
        'D5/1 F5/1 A5/1 Bb5/1',
        'A5/1 G#5/1 A5/2',
        'G5/1 Bb5/1 D5/1 G5/1',
        'E5/1 C#5/1 G5/1 E5/1',
        'F5/0.5 E5/0.5 F5/1 D5/2',
        'D5/0.5 C5/0.5 D5/1 Bb4/2',
        'Bb4/1 D5/1 G5/1 F5/1',
        'E5/1 C#5/1 A4/2',
        'D5+F5+A5/4',
      ].join(' | '),
    },
    {
      program: 45,
      velocity: 0.75,
      line: `${each(spookyChords, spookyProgression, (c) => `${c.root}/1 ${c.fifth}/1 ${c.root}/0.5 ${c.fifth}/0.5 ${c.root}/0.5 r/0.5`)} | D2/4`,
    },
    { program: 48, velocity: 0.4, line: `${each(spookyChords, spookyProgression, (c) => `${together(c.notes)}/4`)} | D4+F4+A4/4` },
    { program: 0, drums: true, velocity: 0.45, line: `${times(6, 'lowtom/4 | r/2 vibraslap/2')} | lowtom/4` },
  ],
};

// ---- adventure: a brass fanfare over driving strings in D -------------------------
const adventureChords = {
  D: ch('D2 A2', 'D3 A3'),
  C: ch('C2 G2', 'C3 G3'),
  G: ch('G1 D2', 'G2 D3'),
  A: ch('A1 E2', 'A2 E3'),
  Bm: ch('B1 F#2', 'B2 F#3'),
};
const adventureProgression = 'D D C G D D C A Bm G D A D G A';
/** A crash on the phrase's first bar, then driving kicks and snares. */
const adventurePhrase = (more: number) => [
  'kick+crash/0.5 kick/0.5 snare/1 kick/0.5 kick/0.5 snare/1',
  ...Array.from({ length: more }, () => 'kick/0.5 kick/0.5 snare/1 kick/0.5 kick/0.5 snare/0.5 snare/0.5'),
];
const adventure: Piece = {
  id: 'over-the-hills',
  mood: 'adventure',
  title: 'Over the Hills',
  bpm: 132,
  beatsPerBar: 4,
  bars: 16,
  previewFrom: 0,
  voices: [
    {
      program: 61,
      velocity: 0.85,
      line: [
        'A4/0.75 A4/0.25 D5/1 F#5/1 A5/1',
        'A5/1.5 G5/0.5 F#5/1 E5/1',
        'G5/1 E5/1 C5/1 E5/1',
        'D5/2 B4/1 D5/1',
        'A4/0.75 A4/0.25 D5/1 F#5/1 A5/1',
        'D6/2 C#6/1 B5/1',
        'C6/1 G5/1 E5/1 G5/1',
        'A5/3 r/1',
        'B5/1 A5/1 F#5/1 D5/1',
        'G5/1 F#5/1 E5/1 D5/1',
        'F#5/1 E5/1 D5/1 A4/1',
        'E5/2 C#5/1 E5/1',
        'F#5/1 A5/1 D6/2',
        'B5/1 D6/1 G5/2',
        'A5/1 B5/1 C#6/1 E5/1',
        'D5+F#5+A5+D6/4',
      ].join(' | '),
    },
    {
      program: 48,
      velocity: 0.6,
      legato: 0.8,
      line: `${each(adventureChords, adventureProgression, (c) => times(4, `${c.notes[0]}/0.5 ${c.notes[1]}/0.5`))} | D3+A3+D4/4`,
    },
    {
      program: 47,
      velocity: 0.7,
      line: `${each(adventureChords, adventureProgression, (c) => `${c.root}/1 r/1 ${c.root}/0.5 ${c.root}/0.5 ${c.fifth}/1`)} | D2/4`,
    },
    {
      program: 0,
      drums: true,
      velocity: 0.6,
      line: [...adventurePhrase(3), ...adventurePhrase(3), ...adventurePhrase(3), ...adventurePhrase(2), 'kick+crash/4'].join(' | '),
    },
  ],
};

// ---- calm: nylon guitar and flute in F -------------------------------------------
const calmChords = {
  F: ch('F2 C3', 'F3 C4 F4 A4'),
  Dm: ch('D2 A2', 'D3 A3 D4 F4'),
  Bb: ch('Bb1 F2', 'Bb2 F3 Bb3 D4'),
  C: ch('C2 G2', 'C3 G3 C4 E4'),
  Am: ch('A1 E2', 'A2 E3 A3 C4'),
};
const calmProgression = 'F Dm Bb C F Am Bb C';
const calm: Piece = {
  id: 'still-pond',
  mood: 'calm',
  title: 'Still Pond',
  bpm: 76,
  beatsPerBar: 4,
  bars: 9,
  previewFrom: 0,
  voices: [
    {
      program: 73,
      velocity: 0.7,
      line: [
        'A5/2 G5/1 F5/1',
        'F5/2 E5/1 D5/1',
        'D5/1.5 F5/0.5 Bb5/2',
        'A5/1 G5/1 E5/2',
        'C6/2 A5/1 F5/1',
        'E5/2 A5/1 C6/1',
        'D6/1.5 C6/0.5 Bb5/1 A5/1',
        'G5/3 E5/1',
        'F5/4',
      ].join(' | '),
    },
    {
      program: 24,
      velocity: 0.6,
      legato: 2,
      line: `${each(calmChords, calmProgression, (c) => {
        const [a, b, d, e] = c.notes as [string, string, string, string];
        return `${a}/0.5 ${b}/0.5 ${d}/0.5 ${e}/0.5 ${d}/0.5 ${b}/0.5 ${d}/0.5 ${b}/0.5`;
      })} | F3+C4+F4+A4/4`,
    },
    { program: 89, velocity: 0.35, line: `${each(calmChords, calmProgression, (c) => `${together(c.notes.slice(1))}/4`)} | C4+F4+A4/4` },
  ],
};

// ---- silly: bassoon, tuba and woodblocks in G ------------------------------------
const sillyChords = {
  G: ch('G1 D2', 'B3 D4 G4'),
  D7: ch('D2 A1', 'A3 C4 F#4'),
  C: ch('C2 G1', 'C4 E4 G4'),
};
const sillyProgression = 'G D7 G D7 G C D7 G G D7 G D7 G C D7 G';
const sillyTune = [
  'G3/0.5 r/0.5 B3/0.5 r/0.5 D4/0.5 G4/0.5 D4/1',
  'F#3/0.5 r/0.5 A3/0.5 r/0.5 C4/0.5 D4/0.5 A3/1',
  'B3/0.5 C4/0.5 D4/0.5 B3/0.5 G3/1 G3/1',
  'A3/0.5 B3/0.5 C4/0.5 A3/0.5 F#3/1 D3/1',
  'G3/0.5 G3/0.5 B3/0.5 B3/0.5 D4/0.5 D4/0.5 G4/1',
  'E4/0.5 D4/0.5 C4/0.5 B3/0.5 C4/1 E4/1',
  'D4/0.5 C4/0.5 A3/0.5 F#3/0.5 D3/1 F#3/1',
];
const silly: Piece = {
  id: 'wobbly-jelly',
  mood: 'silly',
  title: 'Wobbly Jelly',
  bpm: 150,
  beatsPerBar: 4,
  bars: 17,
  previewFrom: 0,
  voices: [
    {
      program: 70,
      velocity: 0.9,
      legato: 0.6,
      // Ends on "shave and a haircut — two bits".
      line: `${sillyTune.join(' | ')} | G3/1 D3/1 G3/1 r/1 | ${sillyTune.join(' | ')} | G3/1 D3/0.5 D3/0.5 E3/1 D3/1 | r/1 F#3/1 G3/1 r/1`,
    },
    { program: 13, velocity: 0.5, legato: 0.5, line: `${sillyTune.join(' | ')} | G4/1 D4/1 G4/1 r/1 | ${times(8, 'r/4')} | r/4` },
    {
      program: 58,
      velocity: 0.8,
      legato: 0.5,
      line: `${each(sillyChords, sillyProgression, (c) => `${c.root}/1 r/1 ${c.fifth}/1 r/1`)} | r/1 D2/1 G1/1 r/1`,
    },
    {
      program: 45,
      velocity: 0.55,
      line: `${each(sillyChords, sillyProgression, (c) => `r/1 ${together(c.notes)}/1 r/1 ${together(c.notes)}/1`)} | r/1 A3+C4+F#4/1 B3+D4+G4/1 r/1`,
    },
    {
      program: 0,
      drums: true,
      velocity: 0.65,
      line: `${times(7, 'lowood/1 hiwood/1 lowood/1 hiwood/0.5 hiwood/0.5')} | lowood/1 hiwood/1 vibraslap/2 | ${times(8, 'lowood/1 hiwood/1 lowood/1 hiwood/0.5 hiwood/0.5')} | r/1 hiwood/1 lowood/1 r/1`,
    },
  ],
};

export const PIECES: readonly Piece[] = [happy, spooky, adventure, calm, silly];

/** Seconds a piece lasts. */
export function secondsOf(p: Piece): number {
  return (p.bars * p.beatsPerBar * 60) / p.bpm;
}
