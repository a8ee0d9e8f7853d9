import { useEffect, useRef } from 'react';
import { LiveView } from '../shared/connection/live.js';

/** The camera's live view, full screen; connected only while a screen shows it. */
export function LiveCanvas({ visible, label }: { visible: boolean; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!visible || !canvas.current) return;
    const live = new LiveView(canvas.current);
    live.start();
    return () => live.stop();
  }, [visible]);
  return <canvas ref={canvas} className={`live${visible ? '' : ' hidden'}`} data-testid="live" role="img" aria-label={label} />;
}
