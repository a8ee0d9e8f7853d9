import { type PointerEvent, useEffect, useRef } from 'react';
import { isOperatorKey } from '../../shared/input/keys.js';
import { timing } from '../../shared/theme/theme.js';

/**
 * The operator corner opens with F2 / Ctrl+Alt+O or a long press on the top-left
 * corner; children will not find either by chance.
 */
export function useOperatorGesture(toggle: () => void): {
  onPointerDown: (e: PointerEvent<Element>) => void;
  onPointerUp: () => void;
} {
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
    onPointerDown: (e) => {
      // The press belongs to the corner until it ends, even if something appears over
      // it meanwhile (a flash, a prompt): else its release would go elsewhere and the
      // panel open by itself 3 s later.
      e.currentTarget.setPointerCapture?.(e.pointerId);
      cancel();
      timer.current = setTimeout(toggle, timing.operatorHoldMs);
    },
    onPointerUp: cancel,
  };
}
