import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@stop-motion/e2e';
import { TRACKS_FILE, trackMoodSchema, tracksFileSchema } from '@stop-motion/protocol';
import tonejs from '@tonejs/midi';
import { describe, expect, it } from 'vitest';
import { pieceToMidi } from '../src/music/midi.js';
import { beatsOf, keyOf, parseLine } from '../src/music/notation.js';
import { PIECES, secondsOf } from '../src/music/pieces.js';
import {
  buildDefaultTracks,
  ensureDefaultTracks,
  fluidsynthArgs,
  fluidsynthError,
  fullTrackArgs,
  PREVIEW_SECONDS,
  previewArgs,
  trackSeconds,
} from '../src/music/render.js';

describe('notation', () => {
  it.each([
    ['C4', 60],
    ['A4', 69],
    ['F#3', 54],
    ['Bb2', 46],
    ['C-1', 0],
    ['kick', 36],
    ['hiwood', 76],
    ['49', 49],
  ])('%s is key %d', (name, key) => expect(keyOf(name)).toBe(key));

  it.each(['H4', 'C', 'c4', 'C#', '128', 'G9x', ''])('"%s" is refused', (name) => expect(() => keyOf(name)).toThrow(/not a note/));

  it('times notes, chords and rests in beats', () => {
    expect(parseLine('C4/1 | r/0.5 C4+E4+G4/2.5')).toEqual([
      { keys: [60], at: 0, beats: 1 },
      { keys: [], at: 1, beats: 0.5 },
      { keys: [60, 64, 67], at: 1.5, beats: 2.5 },
    ]);
    expect(() => parseLine('C4/0')).toThrow(/not <note>\/<beats>/);
    expect(() => parseLine('C4')).toThrow(/not <note>\/<beats>/);
  });
});

describe('the default pieces', () => {
  it('are one per mood, 20–40 s long, with every voice exactly as long as the piece', () => {
    expect(PIECES.map((p) => p.mood).sort()).toEqual([...trackMoodSchema.options].sort());
    for (const p of PIECES) {
      expect(secondsOf(p), p.id).toBeGreaterThanOrEqual(20);
      expect(secondsOf(p), p.id).toBeLessThanOrEqual(40);
      for (const [i, v] of p.voices.entries()) expect(beatsOf(v.line), `${p.id} voice ${i}`).toBe(p.bars * p.beatsPerBar);
    }
  });

  it('become MIDI files that read back with their tempo, instruments and length', () => {
    for (const p of PIECES) {
      const midi = new tonejs.Midi(pieceToMidi(p));
      expect(Math.round(midi.header.tempos[0]?.bpm ?? 0), p.id).toBe(p.bpm);
      expect(midi.tracks.length).toBe(p.voices.length);
      for (const [i, v] of p.voices.entries()) {
        const t = midi.tracks[i];
        expect(t?.channel === 9, `${p.id} voice ${i} drums`).toBe(v.drums === true);
        if (!v.drums) expect(t?.instrument.number).toBe(v.program);
        expect(t?.notes.length).toBeGreaterThan(0);
      }
      // Nothing sounds past the last beat, and the last chord reaches it.
      expect(midi.duration, p.id).toBeLessThanOrEqual(secondsOf(p) + 1e-6);
      expect(midi.duration, p.id).toBeGreaterThan(secondsOf(p) - 0.5);
    }
  });
});

describe('render arguments', () => {
  it('FluidSynth error lines are failures even when it exits 0', () => {
    expect(fluidsynthError("fluidsynth: error: fluid_is_soundfont(): failed to read SFBK chunk id.\nParameter 'x' not a SoundFont")).toBe(
      'fluidsynth: error: fluid_is_soundfont(): failed to read SFBK chunk id.',
    );
    expect(fluidsynthError('')).toBeNull();
    expect(fluidsynthError('fluidsynth: warning: No preset found on channel 9')).toBeNull();
  });
  it('FluidSynth renders the file without MIDI input or a shell', () => {
    expect(fluidsynthArgs({ soundfont: '/sf.sf2', midi: '/a.mid', wav: '/a.wav' })).toEqual([
      '-n',
      '-i',
      '-q',
      '-F',
      '/a.wav',
      '-r',
      '48000',
      '-T',
      'wav',
      '-g',
      '0.5',
      '/sf.sf2',
      '/a.mid',
    ]);
  });
  it('the full track is cut, normalised and faded; the preview is a window of the piece', () => {
    const full = fullTrackArgs({ wav: 'in.wav', out: 'out.opus', seconds: 30 });
    expect(full[full.indexOf('-af') + 1]).toBe('atrim=0:30.000,loudnorm=I=-16:TP=-1.5:LRA=11,afade=t=out:st=28.500:d=1.5');
    expect(full.slice(-3)).toEqual(['-t', '30.000', 'out.opus']);
    const preview = previewArgs({ wav: 'in.wav', out: 'p.opus', from: 2 });
    expect(preview[preview.indexOf('-af') + 1]).toMatch(/^atrim=2\.000:8\.000,asetpts=PTS-STARTPTS,loudnorm=/);
    expect(preview).toContain('libopus');
  });
});

function probeSeconds(file: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

/** Mean level in dB and the silent stretches ffmpeg finds (at −50 dB, 0.75 s or longer). */
function listen(file: string): { meanDb: number; silences: number[] } {
  const r = spawnSync(
    'ffmpeg',
    ['-nostdin', '-hide_banner', '-i', file, '-af', 'volumedetect,silencedetect=n=-50dB:d=0.75', '-f', 'null', '-'],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  const mean = /mean_volume: (-?[\d.]+) dB/.exec(r.stderr);
  return {
    meanDb: Number(mean?.[1] ?? -Infinity),
    silences: [...r.stderr.matchAll(/silence_start: (-?[\d.]+)/g)].map((m) => Number(m[1])),
  };
}

describe('the rendered default set', () => {
  it('is real audio of the expected length that is never silent, listed in a valid tracks.json', { timeout: 600_000 }, async () => {
    // Built here when missing: the same step bootstrap runs before the demo and tests.
    const dir = await ensureDefaultTracks();
    const file = tracksFileSchema.parse(JSON.parse(await readFile(path.join(dir, TRACKS_FILE), 'utf8')));
    expect(file.tracks.map((t) => t.id)).toEqual(PIECES.map((p) => p.id));
    for (const p of PIECES) {
      const t = file.tracks.find((x) => x.id === p.id);
      expect(t?.mood).toBe(p.mood);
      expect(t?.licence).toBe('CC0-1.0');
      const full = path.join(dir, t?.file ?? '');
      const preview = path.join(dir, t?.preview ?? '');
      // Opus adds a few milliseconds of pre-skip.
      expect(probeSeconds(full), p.id).toBeCloseTo(trackSeconds(p), 1);
      expect(probeSeconds(preview), p.id).toBeCloseTo(PREVIEW_SECONDS, 1);
      for (const f of [full, preview]) {
        const heard = listen(f);
        expect(heard.meanDb, f).toBeGreaterThan(-35);
        // Only the fade at the very end may fall silent.
        const limit = probeSeconds(f) - 1.6;
        expect(
          heard.silences.filter((s) => s < limit),
          f,
        ).toEqual([]);
      }
    }
  });

  it('a soundfont FluidSynth cannot read fails the build with its reason and keeps the set that was there', async () => {
    const tmp = await tempDir('tracks-bad');
    try {
      const out = path.join(tmp.path, 'tracks');
      await mkdir(out);
      await writeFile(path.join(out, TRACKS_FILE), '{"version":1,"tracks":[]}');
      const bad = path.join(tmp.path, 'broken.sf2');
      await writeFile(bad, 'RIFF not really a soundfont');
      await expect(buildDefaultTracks({ outDir: out, soundfont: bad, pieces: PIECES.slice(0, 1) })).rejects.toThrow(
        /fluidsynth could not render sunny-day: .*(SoundFont|SFBK)/,
      );
      expect(await readFile(path.join(out, TRACKS_FILE), 'utf8')).toBe('{"version":1,"tracks":[]}');
      expect((await readdir(tmp.path)).sort()).toEqual(['broken.sf2', 'tracks']);
      await expect(buildDefaultTracks({ outDir: out, soundfont: path.join(tmp.path, 'none.sf2') })).rejects.toThrow(/fluid-soundfont-gm/);
      // A score that renders to silence is refused too.
      const rests = { ...(PIECES[0] as (typeof PIECES)[number]), bars: 2, voices: [{ program: 0, velocity: 0.8, line: 'r/4 | r/3 C4/1' }] };
      const quiet = { ...rests, voices: [{ program: 0, velocity: 0, line: 'r/4 | r/3 C4/1' }] };
      await expect(buildDefaultTracks({ outDir: out, pieces: [quiet] })).rejects.toThrow(/rendered silent/);
      expect(existsSync(path.join(out, TRACKS_FILE))).toBe(true);
    } finally {
      await tmp.remove();
    }
  });
});
