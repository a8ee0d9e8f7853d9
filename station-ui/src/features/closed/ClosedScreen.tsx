/**
 * A wordless "we are on a break" picture over everything: a big pause sign and a
 * steaming cup, breathing slowly. Shown while the operator has closed the station;
 * presses do nothing meanwhile (the server ignores them).
 */
export function ClosedScreen({ label }: { label: string }) {
  return (
    <div className="closed-screen" data-testid="closed" role="img" aria-label={label}>
      <svg viewBox="0 0 200 160" aria-hidden="true">
        <g className="closed-breathe">
          <circle cx="70" cy="80" r="52" fill="#2b3550" />
          <rect x="48" y="52" width="14" height="56" rx="4" fill="#f4d35e" />
          <rect x="78" y="52" width="14" height="56" rx="4" fill="#f4d35e" />
        </g>
        <path d="M140 92h34v30a14 14 0 0 1 -14 14h-6a14 14 0 0 1 -14 -14z" fill="#cfd8ea" />
        <path d="M174 100h6a8 8 0 0 1 0 16h-6" stroke="#cfd8ea" strokeWidth="5" fill="none" />
        <path d="M150 84q-6 -8 0 -16t0 -16M162 84q-6 -8 0 -16t0 -16" stroke="#8a94a8" strokeWidth="4" fill="none" strokeLinecap="round" />
      </svg>
    </div>
  );
}
