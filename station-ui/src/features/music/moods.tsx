import type { TrackMood } from '@stop-motion/protocol';
import type { ReactElement } from 'react';

/**
 * Pictures of moods, drawn in code so a child picks music without reading. Each is
 * a 100×100 scene; a designer can swap one without touching the screen.
 */
type Picture = () => ReactElement;

const frame = (children: ReactElement[]) => (
  <svg viewBox="0 0 100 100" className="mood-picture" aria-hidden="true" focusable="false">
    {children}
  </svg>
);

/** Twelve sun rays as one path. */
const RAYS = Array.from({ length: 12 }, (_, i) => {
  const a = (i * Math.PI) / 6;
  const at = (r: number) => `${(50 + Math.cos(a) * r).toFixed(1)} ${(50 + Math.sin(a) * r).toFixed(1)}`;
  return `M${at(30)} L${at(42)}`;
}).join(' ');

const Happy: Picture = () =>
  frame([
    <rect key="sky" width="100" height="100" rx="12" fill="#7fd3ff" />,
    <path key="rays" d={RAYS} stroke="#ffb300" strokeWidth="5" strokeLinecap="round" />,
    <circle key="sun" cx="50" cy="50" r="24" fill="#ffd54f" stroke="#ffb300" strokeWidth="3" />,
    <circle key="el" cx="42" cy="45" r="3.5" fill="#5d4037" />,
    <circle key="er" cx="58" cy="45" r="3.5" fill="#5d4037" />,
    <path key="smile" d="M38 55 Q50 68 62 55" fill="none" stroke="#5d4037" strokeWidth="4" strokeLinecap="round" />,
  ]);

const Spooky: Picture = () =>
  frame([
    <rect key="night" width="100" height="100" rx="12" fill="#2a1b4a" />,
    <circle key="moon" cx="78" cy="22" r="11" fill="#fff59d" />,
    <path key="ghost" d="M28 88 V45 A22 22 0 0 1 72 45 V88 L64 80 L57 88 L50 80 L43 88 L36 80 Z" fill="#f5f5f5" />,
    <ellipse key="el" cx="42" cy="47" rx="4" ry="6" fill="#2a1b4a" />,
    <ellipse key="er" cx="58" cy="47" rx="4" ry="6" fill="#2a1b4a" />,
    <ellipse key="mouth" cx="50" cy="63" rx="6" ry="8" fill="#2a1b4a" />,
  ]);

const Adventure: Picture = () =>
  frame([
    <rect key="sky" width="100" height="100" rx="12" fill="#ffcc80" />,
    <circle key="sun" cx="22" cy="24" r="9" fill="#ff7043" />,
    <path key="far" d="M0 88 L30 48 L52 72 L70 40 L100 80 V100 H0 Z" fill="#8d6e63" />,
    <path key="near" d="M0 100 V80 L36 38 L72 100 Z" fill="#5d4037" />,
    <path key="snow" d="M28 48 L36 38 L44 48 L40 46 L36 50 L32 46 Z" fill="#fff" />,
    <line key="pole" x1="36" y1="38" x2="36" y2="14" stroke="#3e2723" strokeWidth="3" strokeLinecap="round" />,
    <path key="flag" d="M36 14 L54 19 L36 25 Z" fill="#e53935" />,
  ]);

const Calm: Picture = () =>
  frame([
    <rect key="sky" width="100" height="100" rx="12" fill="#1a3d6b" />,
    <path key="moon" d="M64 14 A16 16 0 1 0 80 40 A13 13 0 1 1 64 14 Z" fill="#fff9c4" />,
    <circle key="s1" cx="22" cy="20" r="2" fill="#fff" />,
    <circle key="s2" cx="38" cy="32" r="1.6" fill="#fff" />,
    <circle key="s3" cx="16" cy="42" r="1.4" fill="#fff" />,
    <path key="w1" d="M0 64 Q12 56 25 64 T50 64 T75 64 T100 64 V100 H0 Z" fill="#4fc3f7" />,
    <path key="w2" d="M0 78 Q12 70 25 78 T50 78 T75 78 T100 78 V100 H0 Z" fill="#0288d1" />,
  ]);

const Silly: Picture = () =>
  frame([
    <rect key="bg" width="100" height="100" rx="12" fill="#f8bbd0" />,
    <ellipse key="plate" cx="50" cy="86" rx="38" ry="7" fill="#fff" />,
    <path key="jelly" d="M22 84 C18 60 26 30 50 28 C74 30 82 60 78 84 Z" fill="#66bb6a" stroke="#2e7d32" strokeWidth="3" />,
    <path key="shine" d="M32 44 Q36 36 44 34" fill="none" stroke="#c8e6c9" strokeWidth="4" strokeLinecap="round" />,
    <circle key="el" cx="40" cy="52" r="8" fill="#fff" />,
    <circle key="er" cx="62" cy="50" r="6" fill="#fff" />,
    <circle key="pl" cx="43" cy="54" r="3.5" fill="#212121" />,
    <circle key="pr" cx="60" cy="48" r="3" fill="#212121" />,
    <path key="mouth" d="M40 68 Q50 74 60 68" fill="none" stroke="#1b5e20" strokeWidth="3" strokeLinecap="round" />,
    <path key="tongue" d="M49 71 Q52 80 56 70" fill="#e91e63" />,
  ]);

/** "No music": a speaker with a cross where its sound would be. */
export const NoMusicPicture: Picture = () =>
  frame([
    <rect key="bg" width="100" height="100" rx="12" fill="#37474f" />,
    <path key="speaker" d="M18 40 H32 L50 24 V76 L32 60 H18 Z" fill="#eceff1" />,
    <g key="cross" stroke="#ef5350" strokeWidth="7" strokeLinecap="round">
      <line x1="62" y1="38" x2="84" y2="62" />
      <line x1="84" y1="38" x2="62" y2="62" />
    </g>,
  ]);

export const moodPictures: Record<TrackMood, Picture> = {
  happy: Happy,
  spooky: Spooky,
  adventure: Adventure,
  calm: Calm,
  silly: Silly,
};
