/** @jsxRuntime automatic */
/** @jsxImportSource react */

/**
 * A loudspeaker drawn inline (a picture, not only words: children and visitors who
 * do not read the page's language still see that the film has sound). Muted adds a cross.
 */
export function SpeakerIcon({ muted = false, className }: { muted?: boolean; className?: string }) {
  return (
    <svg className={className ?? 'speaker'} viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      <path d="M3 9h4l5-4v14l-5-4H3z" fill="currentColor" />
      {muted ? (
        <path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" strokeWidth="2" strokeLinecap="round" fill="none" />
      ) : (
        <path d="M15.5 8.5a5 5 0 0 1 0 7M18.5 5.5a9 9 0 0 1 0 13" stroke="currentColor" strokeWidth="2" strokeLinecap="round" fill="none" />
      )}
    </svg>
  );
}
