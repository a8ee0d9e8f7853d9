/**
 * A wordless "the camera is asleep" picture over the live view: a camera with its lens
 * closed like an eye, under a moon and stars, breathing slowly. Shown while the camera
 * program is away and being restarted.
 */
export function CameraAsleep({ label }: { label: string }) {
  return (
    <div className="camera-asleep" data-testid="camera-asleep" role="img" aria-label={label}>
      <svg viewBox="0 0 200 160" aria-hidden="true">
        <path d="M150 18a18 18 0 1 0 14 30a15 15 0 1 1 -14 -30z" fill="#f4d35e" />
        <circle cx="40" cy="22" r="3" fill="#f4d35e" />
        <circle cx="66" cy="10" r="2" fill="#f4d35e" />
        <circle cx="118" cy="30" r="2.5" fill="#f4d35e" />
        <g className="camera-asleep-body">
          <rect x="30" y="62" width="140" height="86" rx="14" fill="#5b6c8f" />
          <rect x="70" y="50" width="44" height="18" rx="5" fill="#5b6c8f" />
          <circle cx="100" cy="105" r="30" fill="#2b3550" />
          <path d="M80 105q20 16 40 0" stroke="#cfd8ea" strokeWidth="6" fill="none" strokeLinecap="round" />
          <circle cx="150" cy="78" r="5" fill="#8a94a8" />
        </g>
      </svg>
    </div>
  );
}
