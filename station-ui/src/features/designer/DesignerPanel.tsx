import type { ButtonAction } from '@stop-motion/protocol';
import type { CSSProperties } from 'react';
import { type KeyMap, keysByAction } from '../../shared/input/keys.js';
import { actionIcons } from '../../shared/theme/icons.js';
import { actionOrder, colors } from '../../shared/theme/theme.js';
import { useUi } from '../../shared/ui/context.js';

/**
 * The physical buttons, on screen, for designers: a press goes through the station's
 * simulated GPIO (so it takes exactly the path a real button takes), falling back to
 * a local press when the station has no simulated buttons.
 */
export function DesignerPanel({ keys }: { keys: KeyMap }) {
  const { actions, t } = useUi();
  const bound = keysByAction(keys);
  const pressSim = (action: ButtonAction) => {
    fetch(`_sim/button/${action}`, { method: 'POST' })
      .then((res) => {
        if (!res.ok) actions.press(action, 'sim');
      })
      .catch(() => actions.press(action, 'sim'));
  };
  return (
    <aside className="designer" data-testid="designer" aria-label={t('designer.title')}>
      {actionOrder.map((action) => {
        const Icon = actionIcons[action];
        const style = { '--btn-bg': colors.action[action], '--btn-fg': colors.onAction[action] } as CSSProperties;
        return (
          <div key={action} className="designer-row">
            <button
              type="button"
              className="designer-button"
              style={style}
              aria-label={t(`action.${action}`)}
              data-sim={action}
              onClick={() => pressSim(action)}
            >
              <Icon />
            </button>
            <span className="designer-keys" title={t('designer.keys')}>
              {bound[action].join(' ')}
            </span>
          </div>
        );
      })}
    </aside>
  );
}
