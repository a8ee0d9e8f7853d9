import type { StationTrack } from '@stop-motion/protocol';
import { useEffect, useRef } from 'react';
import { forwardSign } from '../../shared/i18n/i18n.js';
import { ActionButton } from '../../shared/ui/ActionButton.js';
import { useUi } from '../../shared/ui/context.js';
import { moodPictures, NoMusicPicture } from './moods.js';

/**
 * The soundtrack, chosen by picture: one tile per track (its mood) and "no music"
 * last. The selected tile plays its preview through the station's speaker; green
 * steps on, blue takes it; a touch selects a tile and a second touch takes it; the
 * arrow keys move in the reading direction. Leaving the screen stops the sound; with
 * the station's sound off the previews play muted.
 */
export function MusicScreen() {
  const { state, actions, t, dir } = useUi();
  const tracks = state.tracks;
  const selected = Math.min(state.flow.music, tracks.length);
  const track: StationTrack | undefined = tracks[selected];
  const audio = useRef<HTMLAudioElement>(null);
  const busy = state.flow.finishing;
  // The operator's sound switch (quiet hours) silences the previews too.
  const soundOn = state.station?.settings.sound ?? false;
  useEffect(() => {
    if (audio.current) audio.current.muted = !soundOn;
  }, [soundOn]);

  // The preview of the selected tile; "no music" is silence.
  useEffect(() => {
    const el = audio.current;
    if (!el) return;
    if (!track) {
      el.pause();
      return;
    }
    el.src = track.previewUrl;
    el.currentTime = 0;
    el.play().catch(() => undefined);
  }, [track]);
  useEffect(
    () => () => {
      const el = audio.current;
      if (!el) return;
      el.pause();
      el.removeAttribute('src');
      el.load();
    },
    [],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      e.preventDefault();
      // Right is forward in a left-to-right layout, left in a right-to-left one.
      const step = (e.key === 'ArrowRight' ? 1 : -1) * forwardSign(dir);
      const n = tracks.length + 1;
      actions.selectMusic((selected + step + n) % n);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, dir, selected, tracks.length]);

  const tile = (index: number, label: string, mood: string, Picture: () => React.ReactElement) => (
    <button
      key={index}
      type="button"
      className={`music-tile${index === selected ? ' selected' : ''}`}
      aria-label={label}
      aria-pressed={index === selected}
      data-testid={`music-${mood}`}
      data-index={index}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        if (index === selected) actions.chooseMusic(index);
        else actions.selectMusic(index);
      }}
    >
      <Picture />
      {index === selected && track && (
        <span className="music-playing" aria-hidden="true">
          <span />
          <span />
          <span />
        </span>
      )}
    </button>
  );

  return (
    <main className="screen music" data-screen="music" aria-label={t('music.question')} aria-busy={busy}>
      <div className="music-tiles" data-testid="music-tiles" data-selected={selected}>
        {tracks.map((tr, i) => tile(i, t(`music.${tr.mood}`), tr.mood, moodPictures[tr.mood]))}
        {tile(tracks.length, t('music.none'), 'none', NoMusicPicture)}
      </div>
      <div className="music-buttons">
        <ActionButton action="play" label={t('music.next')} />
        <ActionButton action="finish" label={t('music.take')} />
      </div>
      {/* biome-ignore lint/a11y/useMediaCaption: a wordless music preview has nothing to caption */}
      <audio ref={audio} data-testid="music-preview" preload="auto" />
    </main>
  );
}
