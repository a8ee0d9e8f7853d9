import { localeSchema } from '@stop-motion/protocol';
import { useUi } from '../../shared/ui/context.js';

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} MB`;
  return `${Math.round(n / 1e3)} kB`;
}

function when(iso: string | null, none: string): string {
  return iso ? new Date(iso).toLocaleTimeString() : none;
}

/** The hidden operator corner: status of delivery, camera, buttons and disk, and the few live settings. */
export function OperatorPanel() {
  const { state, actions, t } = useUi();
  const station = state.station;
  if (!station) return null;
  const { delivery, camera, disk, buttons, settings, printer } = station;
  const none = t('operator.none');
  return (
    <div className="operator" role="dialog" aria-modal="true" aria-label={t('operator.title')} data-testid="operator">
      <header className="operator-head">
        <h2>{t('operator.title')}</h2>
        <button type="button" className="operator-close" onClick={() => actions.setOperatorOpen(false)}>
          {t('operator.close')}
        </button>
      </header>
      <dl className="operator-grid">
        <dt>{t('operator.station')}</dt>
        <dd>{station.stationId}</dd>
        <dt>{t('operator.movie')}</dt>
        <dd>
          {station.movie.id} · {station.movie.frames.length}/{station.movie.maxFrames}
        </dd>
        <dt>{t('operator.delivery')}</dt>
        <dd data-testid="op-delivery">
          {t('operator.target')}: {delivery.target ?? none} · {t('operator.pending')}: {delivery.pending} · {t('operator.sent')}:{' '}
          {delivery.sent}
        </dd>
        <dt>{t('operator.lastSuccess')}</dt>
        <dd>{when(delivery.lastSuccessAt, none)}</dd>
        <dt>{t('operator.lastError')}</dt>
        <dd className={delivery.lastError ? 'bad' : undefined}>
          {delivery.lastError ? `${when(delivery.lastErrorAt, '')} ${delivery.lastError}` : none}
        </dd>
        <dt>{t('operator.nextAttempt')}</dt>
        <dd>{when(delivery.nextAttemptAt, none)}</dd>
        <dt>{t('operator.camera')}</dt>
        <dd data-testid="op-camera" className={camera.state === 'ok' ? 'ok' : 'bad'}>
          {camera.kind} · {camera.state}
          {camera.width ? ` · ${camera.width}×${camera.height}` : ''} · ↻{camera.restarts}
          {camera.message ? ` · ${camera.message}` : ''}
        </dd>
        {camera.modes ? (
          <>
            <dt>{t('operator.cameraModes')}</dt>
            <dd data-testid="op-camera-modes">{camera.modes}</dd>
          </>
        ) : null}
        <dt>{t('operator.buttons')}</dt>
        <dd className={buttons.state === 'failed' ? 'bad' : undefined}>
          {buttons.kind} · {buttons.state}
          {buttons.message ? ` · ${buttons.message}` : ''}
        </dd>
        <dt>{t('operator.disk')}</dt>
        <dd data-testid="op-disk" className={disk.full ? 'bad' : undefined}>
          {disk.full ? t('operator.diskFull') : t('operator.diskFree', { free: bytes(disk.freeBytes), total: bytes(disk.totalBytes) })}
        </dd>
        {printer && printer.state !== 'off' ? (
          <>
            <dt>{t('operator.printer')}</dt>
            <dd data-testid="op-printer" data-state={printer.state} className={printer.state === 'problem' ? 'bad' : 'ok'}>
              {printer.queue} · {t(`operator.printer.${printer.state}`)} · {t('operator.printed', { n: printer.printed })}
              {printer.pending > 0 ? ` · ${t('operator.pending')}: ${printer.pending}` : ''}
              {printer.message ? ` · ${printer.message}` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      <div className="operator-settings">
        <label>
          {t('operator.onion')}
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={settings.onionOpacity}
            data-testid="op-onion"
            onChange={(e) => actions.setSettings({ onionOpacity: Number(e.target.value) })}
          />
        </label>
        <label>
          {t('operator.locale')}
          <select
            value={settings.locale}
            data-testid="op-locale"
            onChange={(e) => actions.setSettings({ locale: localeSchema.parse(e.target.value) })}
          >
            {localeSchema.options.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('operator.sound')}
          <input
            type="checkbox"
            checked={settings.sound}
            data-testid="op-sound"
            onChange={(e) => actions.setSettings({ sound: e.target.checked })}
          />
        </label>
      </div>
    </div>
  );
}
