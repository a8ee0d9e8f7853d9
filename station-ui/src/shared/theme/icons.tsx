import type { ButtonAction } from '@stop-motion/protocol';
import type { ReactElement, SVGProps } from 'react';

/** Inline SVG icons: no requests, recolourable with `currentColor`, swappable by a designer. */
type IconProps = SVGProps<SVGSVGElement> & { size?: number | string };

function svg(children: ReactElement | ReactElement[], { size = '1em', ...rest }: IconProps): ReactElement {
  return (
    <svg
      viewBox="0 0 48 48"
      width={size}
      height={size}
      fill="none"
      stroke="currentColor"
      strokeWidth={4}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      {...rest}
    >
      {children}
    </svg>
  );
}

export const CameraIcon = (p: IconProps) =>
  svg([<path key="b" d="M6 16h8l4-6h12l4 6h8v22H6z" />, <circle key="l" cx="24" cy="26" r="7" />], p);

export const UndoIcon = (p: IconProps) =>
  svg([<path key="a" d="M18 10 8 20l10 10" />, <path key="b" d="M9 20h18a11 11 0 0 1 0 22h-8" />], p);

export const PlayIcon = (p: IconProps) => svg(<path d="M14 8v32l26-16z" fill="currentColor" />, p);

export const FlagIcon = (p: IconProps) =>
  svg([<path key="p" d="M10 44V6" />, <path key="f" d="M10 8h26l-6 8 6 8H10" fill="currentColor" />], p);

export const GlobeIcon = (p: IconProps) =>
  svg([<circle key="c" cx="24" cy="24" r="18" />, <path key="m" d="M6 24h36M24 6c7 8 7 28 0 36M24 6c-7 8-7 28 0 36" />], p);

export const BigScreenIcon = (p: IconProps) =>
  svg([<rect key="r" x="4" y="8" width="40" height="26" rx="2" />, <path key="s" d="M16 42h16M24 34v8" />], p);

export const PeopleIcon = (p: IconProps) =>
  svg(
    [
      <circle key="a" cx="16" cy="16" r="6" />,
      <circle key="b" cx="32" cy="16" r="6" />,
      <path key="c" d="M4 40c0-8 6-12 12-12s12 4 12 12M20 40c0-8 6-12 12-12s12 4 12 12" />,
    ],
    p,
  );

export const PlugIcon = (p: IconProps) =>
  svg([<path key="a" d="M16 4v10M32 4v10M10 14h28v8a14 14 0 0 1-28 0z" />, <path key="b" d="M24 36v8M6 6l36 36" />], p);

export const HourglassIcon = (p: IconProps) =>
  svg([<path key="a" d="M12 4h24M12 44h24M14 4c0 12 20 14 20 20S14 32 14 44M34 4c0 12-20 14-20 20s20 8 20 20" />], p);

export const HandIcon = (p: IconProps) =>
  svg(<path d="M18 26V8a3 3 0 0 1 6 0v14M24 22V6a3 3 0 0 1 6 0v16M30 22V9a3 3 0 0 1 6 0v21a14 14 0 0 1-28 0v-6a3 3 0 0 1 6 0v4" />, p);

export const DiffIcon = (p: IconProps) =>
  svg([<circle key="a" cx="18" cy="24" r="12" />, <circle key="b" cx="30" cy="24" r="12" fill="currentColor" fillOpacity={0.4} />], p);

export const CheckIcon = (p: IconProps) => svg(<path d="M8 26l10 10 22-24" />, p);

export const ArrowForwardIcon = (p: IconProps) => svg(<path d="M8 24h30M28 12l12 12-12 12" />, p);

/** A pencil writing on a name tag: "give your film a name". */
export const NameTagIcon = (p: IconProps) =>
  svg(
    [
      <path key="t" d="M4 14h22l8 8-8 8H4z" />,
      <circle key="h" cx="10" cy="22" r="2" fill="currentColor" />,
      <path key="p" d="M30 40l14-14-4-4-14 14-2 6z" />,
    ],
    p,
  );

/** The key that takes the last letter away. */
export const BackspaceIcon = (p: IconProps) =>
  svg([<path key="k" d="M16 10h26v28H16L4 24z" />, <path key="x" d="M22 18l12 12M34 18 22 30" />], p);

/** The space bar's mark. */
export const SpaceIcon = (p: IconProps) => svg(<path d="M6 20v10h36V20" />, p);

/** The icon of each physical button; the same on screen, on the button caps and in the designer panel. */
export const actionIcons: Record<ButtonAction, (p: IconProps) => ReactElement> = {
  capture: CameraIcon,
  undo: UndoIcon,
  play: PlayIcon,
  finish: FlagIcon,
};
