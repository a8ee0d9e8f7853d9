import { PlugIcon } from '../theme/icons.js';
import { useUi } from './context.js';

/** A dot when all is well; a veil with an unplugged plug when the station is away. */
export function ConnectionIndicator() {
  const { state, t } = useUi();
  const open = state.connection === 'open' && state.station !== null;
  return (
    <>
      <div
        className={`conn-dot conn-${open ? 'open' : 'closed'}`}
        data-testid="conn"
        data-state={open ? 'open' : 'closed'}
        role="status"
        aria-label={t(open ? 'connection.ok' : 'connection.lost')}
      />
      {!open && (
        <div className="offline-veil" data-testid="offline" aria-hidden="true">
          <PlugIcon className="offline-icon" />
        </div>
      )}
    </>
  );
}
