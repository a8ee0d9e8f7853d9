import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { BigScreenIcon } from '../../shared/theme/icons.js';
import { useUi } from '../../shared/ui/context.js';

/**
 * The film is done: a QR code to find it again on the website (public films with a
 * gallery URL) and the short code; back to the invitation after the claim time. No
 * press ends it (a child's next press must not take the code away from a parent on
 * the way), only the time or the operator's "next child" gesture.
 */
export function ClaimScreen() {
  const { state, t } = useUi();
  const [qr, setQr] = useState<string | null>(null);
  const claim = state.claim;
  const url = claim?.publish === 'public' ? claim.claimUrl : null;
  useEffect(() => {
    setQr(null);
    if (!url) return;
    let live = true;
    QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 4, scale: 8, color: { dark: '#000000', light: '#ffffff' } }).then(
      (data) => {
        if (live) setQr(data);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [url]);
  if (!claim) return null;
  const seconds = state.station?.settings.claimSeconds ?? 60;
  return (
    <main className="screen claim" data-screen="claim" aria-label={url ? t('claim.qr') : t('claim.bigScreen')}>
      <div className="claim-card">
        {url ? (
          <img className="claim-qr" data-testid="qr" data-url={url} src={qr ?? undefined} alt={t('claim.qr')} hidden={!qr} />
        ) : (
          <BigScreenIcon className="claim-bigscreen" />
        )}
        <p className="claim-code" data-testid="short-code">
          {claim.shortCode}
        </p>
      </div>
      <div className="claim-timer" style={{ animationDuration: `${seconds}s` }} aria-hidden="true" />
    </main>
  );
}
