import { HandIcon, HourglassIcon } from '../../shared/theme/icons.js';
import { timing } from '../../shared/theme/theme.js';
import { useUi } from '../../shared/ui/context.js';

/** "Still there?" without words: an hourglass running out and a hand to press anything. */
export function IdlePrompt() {
  const { actions, t } = useUi();
  return (
    <div className="idle-veil" data-testid="idle" role="alertdialog" aria-label={t('idle.question')}>
      <HourglassIcon className="idle-hourglass" />
      <div className="idle-timer" style={{ animationDuration: `${timing.idlePromptSeconds}s` }} aria-hidden="true" />
      <button
        type="button"
        className="idle-yes pulse"
        aria-label={t('idle.yes')}
        onPointerDown={(e) => {
          e.preventDefault();
          actions.dismissIdle();
        }}
      >
        <HandIcon />
      </button>
    </div>
  );
}
