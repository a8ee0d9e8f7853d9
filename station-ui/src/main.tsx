import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { Controller } from './app/controller.js';
import { controlUrl, StationClient } from './shared/connection/client.js';
import { timing } from './shared/theme/theme.js';
import './app/styles.css';

const params = new URLSearchParams(window.location.search);
const RESUME_KEY = 'stop-motion.resume-screen';

let controller: Controller | null = null;
const client = new StationClient({
  url: controlUrl(),
  requestTimeoutMs: timing.requestTimeoutMs,
  heartbeatMs: timing.heartbeatMs,
  onStatus: (s) => controller?.onStatus(s),
  onSnapshot: (state) => controller?.onSnapshot(state),
  onEvent: (event) => controller?.onEvent(event),
  // A new server may serve a new UI build: load it, and carry on on the same screen.
  onServerRestart: () => {
    if (controller) sessionStorage.setItem(RESUME_KEY, controller.state.flow.screen);
    window.location.reload();
  },
  onInvalid: (reason) => report('warn', reason),
});
const resumed = sessionStorage.getItem(RESUME_KEY);
sessionStorage.removeItem(RESUME_KEY);
controller = new Controller({ client, resume: resumed === 'make' || resumed === 'play' ? resumed : null });

function report(level: 'info' | 'warn' | 'error', message: string, stack?: string): void {
  const params = stack
    ? { level, message: message.slice(0, 4000), stack: stack.slice(0, 16000) }
    : { level, message: message.slice(0, 4000) };
  client.request('ui.log', params).catch(() => undefined);
}

window.addEventListener('error', (e) => report('error', e.message || 'error', e.error instanceof Error ? e.error.stack : undefined));
window.addEventListener('unhandledrejection', (e) => {
  const reason: unknown = e.reason;
  report('error', reason instanceof Error ? reason.message : String(reason), reason instanceof Error ? reason.stack : undefined);
});

client.start();
const root = document.getElementById('root');
if (root) createRoot(root).render(<App controller={controller} designer={params.get('designer') === '1'} />);
