import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import { AttractScreen } from '../features/attract/AttractScreen.js';
import { ClosedScreen } from '../features/closed/ClosedScreen.js';
import { DesignerPanel } from '../features/designer/DesignerPanel.js';
import { ClaimScreen } from '../features/finish/ClaimScreen.js';
import { ConsentScreen } from '../features/finish/ConsentScreen.js';
import { TitleScreen } from '../features/finish/TitleScreen.js';
import { IdlePrompt } from '../features/idle/IdlePrompt.js';
import { MakeScreen } from '../features/make/MakeScreen.js';
import { MusicScreen } from '../features/music/MusicScreen.js';
import { OperatorPanel } from '../features/operator/OperatorPanel.js';
import { useOperatorGesture } from '../features/operator/useOperatorGesture.js';
import { PlayScreen } from '../features/play/PlayScreen.js';
import { directionOf, translator } from '../shared/i18n/i18n.js';
import { createGamepadTracker, gamepadMap } from '../shared/input/gamepad.js';
import { actionForKey, keyMap } from '../shared/input/keys.js';
import { themeStyle } from '../shared/theme/css.js';
import { ConnectionIndicator } from '../shared/ui/ConnectionIndicator.js';
import { type Ui, UiContext } from '../shared/ui/context.js';
import { Flash } from '../shared/ui/Flash.js';
import type { Controller } from './controller.js';
import { LiveCanvas } from './LiveCanvas.js';

export function App({ controller, designer: designerParam }: { controller: Controller; designer: boolean }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const station = state.station;
  const locale = station?.settings.locale ?? 'en';
  const dir = directionOf(locale);
  const t = useMemo(() => translator(locale), [locale]);
  const keys = useMemo(() => keyMap(station?.settings.keys), [station?.settings.keys]);
  const ui: Ui = { state, actions: controller, t, dir, locale };

  useEffect(() => {
    document.documentElement.lang = locale;
    document.documentElement.dir = dir;
    document.title = t('app.title');
  }, [locale, dir, t]);

  // One keyboard handler for the keypad and USB arcade encoders.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
      const action = actionForKey(keys, e);
      if (!action) return;
      e.preventDefault();
      controller.press(action, 'key');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [keys, controller]);

  // USB encoders that are gamepads: polled every animation frame, the way the Gamepad API works.
  const pad = useMemo(() => gamepadMap(station?.settings.gamepad), [station?.settings.gamepad]);
  const padDebounceMs = station?.settings.buttonDebounceMs ?? 30;
  useEffect(() => {
    if (typeof navigator.getGamepads !== 'function') return;
    const tracker = createGamepadTracker(pad, padDebounceMs);
    let frame = 0;
    const poll = () => {
      for (const action of tracker.poll(navigator.getGamepads(), performance.now())) controller.press(action, 'gamepad');
      frame = requestAnimationFrame(poll);
    };
    frame = requestAnimationFrame(poll);
    return () => cancelAnimationFrame(frame);
  }, [pad, padDebounceMs, controller]);

  useEffect(() => {
    const timer = setInterval(() => controller.tick(), 1000);
    return () => clearInterval(timer);
  }, [controller]);

  const toggleOperator = useCallback(() => controller.setOperatorOpen(!controller.state.operatorOpen), [controller]);
  const corner = useOperatorGesture(toggleOperator);
  const screen = state.flow.screen;
  const designer = designerParam || station?.settings.designer === true;

  return (
    <UiContext.Provider value={ui}>
      <div
        className={`app dir-${dir} screen-${screen}`}
        dir={dir}
        lang={locale}
        style={themeStyle()}
        data-testid="app"
        data-screen={screen}
      >
        <LiveCanvas visible={station !== null && (screen === 'make' || screen === 'attract')} label={t('make.live')} />
        {station && screen === 'attract' && <AttractScreen />}
        {station && screen === 'make' && <MakeScreen />}
        {station && screen === 'play' && <PlayScreen />}
        {station && screen === 'consent' && <ConsentScreen />}
        {station && screen === 'music' && <MusicScreen />}
        {station && screen === 'title' && <TitleScreen />}
        {station && screen === 'claim' && <ClaimScreen />}
        <Flash />
        {state.flow.idlePrompt && <IdlePrompt />}
        {station?.closed && <ClosedScreen label={t('station.closed')} />}
        <ConnectionIndicator />
        {designer && <DesignerPanel keys={keys} />}
        {state.operatorOpen && <OperatorPanel />}
        <div
          className="operator-corner"
          aria-hidden="true"
          onPointerDown={corner.onPointerDown}
          onPointerUp={corner.onPointerUp}
          onPointerLeave={corner.onPointerUp}
          onPointerCancel={corner.onPointerUp}
          onLostPointerCapture={corner.onPointerUp}
        />
      </div>
    </UiContext.Provider>
  );
}
