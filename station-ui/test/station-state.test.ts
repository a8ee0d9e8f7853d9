import type { StationEvent, StationState } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { applyEvent, budgetFill, frameUrl, stripFrames, thumbUrl, withFrame } from '../src/shared/model/station.js';
import { frame, MOVIE, station } from './fixtures.js';

const state = (frames = 2): StationState => station(frames);
const ev = <E extends StationEvent>(e: Omit<E, 'type'>): StationEvent => ({ type: 'event', ...e }) as StationEvent;

describe('applyEvent', () => {
  it('adds frames in order and ignores duplicates and other movies', () => {
    let s = applyEvent(state(), ev({ name: 'frame.added', data: { movieId: MOVIE, frame: frame(2), frameCount: 3 } }));
    s = applyEvent(s, ev({ name: 'frame.added', data: { movieId: MOVIE, frame: frame(2), frameCount: 3 } }));
    expect(s.movie.frames.map((f) => f.file)).toEqual(['0000.jpg', '0001.jpg', '0002.jpg']);
    const other = applyEvent(s, ev({ name: 'frame.added', data: { movieId: 'OTHER', frame: frame(3), frameCount: 4 } }));
    expect(other).toBe(s);
  });

  it('keeps 10000.jpg after 9999.jpg (numeric, not string, order)', () => {
    const m = withFrame(withFrame(state(0).movie, { file: '10000.jpg', hash: 'aaaaaaaa' }), { file: '9999.jpg', hash: 'bbbbbbbb' });
    expect(m.frames.map((f) => f.file)).toEqual(['9999.jpg', '10000.jpg']);
  });

  it('removes a frame on undo', () => {
    const s = applyEvent(state(3), ev({ name: 'frame.removed', data: { movieId: MOVIE, file: '0002.jpg', frameCount: 2 } }));
    expect(s.movie.frames).toHaveLength(2);
  });

  it('replaces the movie when a new one starts, and takes status and settings changes', () => {
    const movie = { ...state(0).movie, id: '01JZZZZZZZZZZZZZZZZZZZZZZZ' };
    let s = applyEvent(state(), ev({ name: 'movie.started', data: { movie } }));
    expect(s.movie).toEqual(movie);
    s = applyEvent(s, ev({ name: 'camera.status', data: { state: 'restarting', kind: 'test', restarts: 1 } }));
    expect(s.camera.state).toBe('restarting');
    s = applyEvent(s, ev({ name: 'settings.changed', data: { ...s.settings, locale: 'he' } }));
    expect(s.settings.locale).toBe('he');
  });
});

describe('urls and strip helpers', () => {
  it('builds relative, cache-busted frame and thumbnail URLs', () => {
    expect(frameUrl(MOVIE, frame(1))).toBe(`frames/${MOVIE}/0001.jpg?v=abcdef01`);
    expect(thumbUrl(MOVIE, frame(1))).toBe(`thumbs/${MOVIE}/0001.jpg?v=abcdef01`);
  });
  it('shows the last N frames, oldest first', () => {
    expect(stripFrames(state(10).movie.frames, 3).map((f) => f.file)).toEqual(['0007.jpg', '0008.jpg', '0009.jpg']);
    expect(stripFrames(state(2).movie.frames, 3)).toHaveLength(2);
  });
  it('fills the budget strip from 0 to 1', () => {
    expect(budgetFill(0, 300)).toBe(0);
    expect(budgetFill(150, 300)).toBe(0.5);
    expect(budgetFill(400, 300)).toBe(1);
    expect(budgetFill(1, 0)).toBe(1);
  });
});
