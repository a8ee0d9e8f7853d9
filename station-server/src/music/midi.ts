import tonejs from '@tonejs/midi';
import { parseLine } from './notation.js';
import type { Piece } from './pieces.js';

const { Midi } = tonejs;
const PERCUSSION_CHANNEL = 9;

/** A piece as a Standard MIDI File (pure). */
export function pieceToMidi(piece: Piece): Uint8Array {
  const midi = new Midi();
  midi.header.setTempo(piece.bpm);
  midi.header.timeSignatures.push({ ticks: 0, timeSignature: [piece.beatsPerBar, 4] });
  midi.header.name = piece.title;
  const ppq = midi.header.ppq;
  const endBeat = piece.bars * piece.beatsPerBar;
  let melodic = 0;
  for (const voice of piece.voices) {
    const track = midi.addTrack();
    if (voice.drums) track.channel = PERCUSSION_CHANNEL;
    else {
      // Channels 0–15 without the percussion one.
      track.channel = melodic === PERCUSSION_CHANNEL ? ++melodic : melodic;
      melodic++;
      track.instrument.number = voice.program;
    }
    for (const e of parseLine(voice.line)) {
      const beats = Math.min(e.beats * (voice.legato ?? 0.95), endBeat - e.at);
      for (const key of e.keys) {
        track.addNote({
          midi: key,
          ticks: Math.round(e.at * ppq),
          durationTicks: Math.max(1, Math.round(beats * ppq)),
          velocity: voice.velocity,
        });
      }
    }
  }
  return midi.toArray();
}
