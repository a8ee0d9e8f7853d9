import type { ButtonAction } from '@stop-motion/protocol';
import type { CSSProperties } from 'react';
import { actionIcons, BigScreenIcon, GlobeIcon, PeopleIcon } from '../../shared/theme/icons.js';
import { colors, consentButtons } from '../../shared/theme/theme.js';
import { useUi } from '../../shared/ui/context.js';

/**
 * Where the film may go, asked without words: a globe with people (the website too)
 * or the big screen alone. Each card wears the colour and icon of the physical
 * button that chooses it.
 */
export function ConsentScreen() {
  const { state, t } = useUi();
  const busy = state.flow.finishing;
  return (
    <main className="screen consent" data-screen="consent" aria-label={t('consent.question')} aria-busy={busy}>
      <div className="consent-cards">
        <ConsentCard action={consentButtons.public} label={t('consent.public')} testId="consent-public">
          <BigScreenIcon className="consent-icon" />
          <span className="consent-plus" aria-hidden="true">
            +
          </span>
          <GlobeIcon className="consent-icon" />
          <PeopleIcon className="consent-icon small" />
        </ConsentCard>
        <ConsentCard action={consentButtons.private} label={t('consent.private')} testId="consent-private">
          <BigScreenIcon className="consent-icon" />
        </ConsentCard>
      </div>
    </main>
  );
}

function ConsentCard({
  action,
  label,
  testId,
  children,
}: {
  action: ButtonAction;
  label: string;
  testId: string;
  children: React.ReactNode;
}) {
  const { actions } = useUi();
  const Badge = actionIcons[action];
  const style = { '--card-color': colors.action[action], '--badge-fg': colors.onAction[action] } as CSSProperties;
  return (
    <button
      type="button"
      className="consent-card"
      style={style}
      aria-label={label}
      data-testid={testId}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        actions.press(action, 'touch');
      }}
    >
      <span className="consent-art">{children}</span>
      <span className="consent-badge" aria-hidden="true">
        <Badge />
      </span>
    </button>
  );
}
