import { useUi } from './context.js';

/** A white flash on each capture press; keyed on the counter so the CSS animation restarts. */
export function Flash() {
  const { state } = useUi();
  if (state.flash === 0) return null;
  return <div key={state.flash} className="flash" data-testid="flash" aria-hidden="true" />;
}
