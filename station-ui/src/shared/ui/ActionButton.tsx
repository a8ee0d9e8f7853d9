import type { ButtonAction } from '@stop-motion/protocol';
import type { CSSProperties, ReactNode } from 'react';
import { actionIcons } from '../theme/icons.js';
import { colors } from '../theme/theme.js';
import { useUi } from './context.js';

export interface ActionButtonProps {
  action: ButtonAction;
  /** Defaults to the action's own label. */
  label?: string;
  size?: 'big' | 'small';
  disabled?: boolean;
  children?: ReactNode;
  className?: string;
}

/** A big round on-screen button that looks like the physical arcade button of the same action. */
export function ActionButton({ action, label, size = 'big', disabled = false, children, className }: ActionButtonProps) {
  const { actions, t } = useUi();
  const Icon = actionIcons[action];
  const style = { '--btn-bg': colors.action[action], '--btn-fg': colors.onAction[action] } as CSSProperties;
  return (
    <button
      type="button"
      className={`action-button action-${action} size-${size}${className ? ` ${className}` : ''}`}
      style={style}
      aria-label={label ?? t(`action.${action}`)}
      aria-disabled={disabled || undefined}
      data-action={action}
      onPointerDown={(e) => {
        // Pointer-down, not click: a child's press must act at once, like the arcade button.
        if (e.button !== 0) return;
        e.preventDefault();
        if (!disabled) actions.press(action, 'touch');
      }}
    >
      <Icon className="action-icon" />
      {children}
    </button>
  );
}
