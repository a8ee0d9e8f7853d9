import { useEffect, useRef } from 'react';
import { isOperatorKey } from '../../shared/input/keys.js';
import { timing } from '../../shared/theme/theme.js';

/**
 * The operator corner opens with F2 / Ctrl+Alt+O or a long press on the top-left
 * corner; children will not find either by chance.
 */
export function useOperatorGesture(toggle: () => void): { onPointerDown: () => void; onPointerUp: () => void } {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isOperatorKey(e)) {
        e.preventDefault();
        toggle();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggle]);
  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  };
  return {
    onPointerDown: () => {
      cancel();
      timer.current = setTimeout(toggle, timing.operatorHoldMs);
    },
    onPointerUp: cancel,
  };
}
