/** @jsxRuntime automatic */
/** @jsxImportSource react */
import { renderToStaticMarkup } from 'react-dom/server';
import { dirOf } from '../i18n.js';
import type { PageContext } from './layout.js';

/** Tiles on a wall unless `?tiles=` says otherwise (3 × 2 on a 16:9 screen). */
export const WALL_TILES = 6;
export const WALL_MAX_TILES = 16;

/** Columns × rows for a 16:9 screen. */
export function wallGrid(tiles: number): { cols: number; rows: number } {
  const cols = tiles <= 1 ? 1 : tiles <= 4 ? 2 : tiles <= 9 ? 3 : 4;
  return { cols, rows: Math.ceil(tiles / cols) };
}

/** What a visitor types when the QR code does not scan: the address without its scheme. */
const shown = (url: string) => url.replace(/^https?:\/\//, '').replace(/\/$/, '');

/**
 * The wall for the foyer's second screen: a fixed grid of video tiles that the
 * script fills, recycles and rotates (the DOM never grows), the event's name, and a
 * QR code to the gallery. The QR code is an SVG made on the server, as a `data:` image
 * (which the CSP's img-src allows): no script or style is inlined, so the CSP holds as it is.
 */
export function renderWall(
  ctx: PageContext,
  opts: { eventName: string; galleryUrl: string; qrSrc: string; tiles: number; silenceMs: number; assets: { css: string; js: string } },
): string {
  const { t } = ctx;
  const { cols, rows } = wallGrid(opts.tiles);
  // Fixed slots, recycled by the script: the page never adds or removes one.
  const slots = Array.from({ length: opts.tiles }, (_, i) => `tile-${i}`);
  const page = (
    <html lang={ctx.locale} dir={dirOf(ctx.locale)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{opts.eventName}</title>
        <link rel="icon" href={ctx.assets.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={opts.assets.css} />
        <script src={opts.assets.js} defer />
      </head>
      <body className="wall-body">
        <main className="wall" id="wall" data-events="/wall/events" data-silence-ms={opts.silenceMs} data-untitled={t.untitled}>
          <header className="wall-top">
            <h1>{opts.eventName}</h1>
            <p className="wall-offline" id="wall-offline" hidden>
              {t.wallOffline}
            </p>
          </header>
          <ul className={`wall-grid c${cols} r${rows}`} id="wall-grid">
            {slots.map((slot) => (
              <li className="tile" key={slot}>
                <video muted playsInline preload="auto" />
                <span className="tile-title" />
              </li>
            ))}
          </ul>
          <p className="wall-empty" id="wall-empty" hidden>
            {t.noFilms}
          </p>
          <aside className="wall-qr">
            <img className="qr" src={opts.qrSrc} alt={opts.galleryUrl} width="240" height="240" />
            <p>{t.wallScan}</p>
            <p className="wall-url" dir="ltr">
              {shown(opts.galleryUrl)}
            </p>
          </aside>
        </main>
      </body>
    </html>
  );
  return `<!doctype html>${renderToStaticMarkup(page)}`;
}
