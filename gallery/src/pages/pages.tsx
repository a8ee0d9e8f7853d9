/** @jsxRuntime automatic */
/** @jsxImportSource react */
// Over 300 lines: every page of the gallery, each a small function over one shared layout.
import { type FilmMeta, sanitizeTitle } from '@stop-motion/protocol';
import { renderToStaticMarkup } from 'react-dom/server';
import { formatDate } from '../i18n.js';
import { type Head, Layout, type PageContext } from './layout.js';
import { SpeakerIcon } from './sound.js';

export type { PageContext } from './layout.js';

export interface FilmCard {
  film: FilmMeta;
  posterUrl: string;
}

const seconds = (d: number) => Math.max(1, Math.round(d));
// Titles arrive clean from the catalog; cleaned again here because every page shows them.
const titleOf = (film: FilmMeta, ctx: PageContext) => sanitizeTitle(film.title) ?? ctx.t.untitled;

function html(node: React.ReactElement): string {
  return `<!doctype html>${renderToStaticMarkup(node)}`;
}

export function renderList(ctx: PageContext, cards: FilmCard[], pager: { next: string | null; isFirst: boolean }): string {
  const { t } = ctx;
  const head: Head = { title: t.siteName, canonical: `${ctx.baseUrl}/`, noindex: !pager.isFirst };
  return html(
    <Layout ctx={ctx} head={head}>
      <h1>{t.films}</h1>
      <p className="tagline">
        {t.tagline} · <a href="/code">{t.codeLink}</a>
      </p>
      {cards.length === 0 ? <p>{t.noFilms}</p> : null}
      <ul className="grid">
        {cards.map(({ film, posterUrl }, i) => {
          const title = titleOf(film, ctx);
          // The first row is above the fold on a phone: load it at once, the rest lazily.
          const eager = pager.isFirst && i < 2;
          return (
            <li className="card" key={film.id}>
              <a href={`/m/${film.id}`}>
                <img
                  src={posterUrl}
                  alt=""
                  width={film.width}
                  height={film.height}
                  loading={eager ? 'eager' : 'lazy'}
                  decoding="async"
                  {...(i === 0 && pager.isFirst ? { fetchPriority: 'high' as const } : {})}
                />
                <span className="t">{title}</span>
                <span className="d">
                  {t.seconds(seconds(film.durationSec))} · {formatDate(film.createdAt, ctx.locale, ctx.timeZone)}
                  {film.audio ? (
                    <span className="has-sound" title={t.hasSound}>
                      {' '}
                      <SpeakerIcon />
                      <span className="sr-only">{t.hasSound}</span>
                    </span>
                  ) : null}
                </span>
              </a>
            </li>
          );
        })}
      </ul>
      <nav className="pager" aria-label={t.films}>
        {pager.isFirst ? <span /> : <a href="/">{t.newest}</a>}
        {pager.next ? (
          <a href={`/?cursor=${encodeURIComponent(pager.next)}`} rel="next">
            {t.older}
          </a>
        ) : null}
      </nav>
    </Layout>,
  );
}

export function renderFilm(ctx: PageContext, film: FilmMeta, urls: { video: string; poster: string }): string {
  const { t } = ctx;
  const title = titleOf(film, ctx);
  const pageUrl = `${ctx.baseUrl}/m/${film.id}`;
  const extra = (
    <>
      <meta property="og:type" content="video.other" />
      <meta property="og:site_name" content={t.siteName} />
      <meta property="og:title" content={title} />
      <meta property="og:url" content={pageUrl} />
      <meta property="og:image" content={urls.poster} />
      <meta property="og:image:width" content={String(film.width)} />
      <meta property="og:image:height" content={String(film.height)} />
      <meta property="og:video" content={urls.video} />
      <meta property="og:video:type" content="video/mp4" />
      <meta property="og:video:width" content={String(film.width)} />
      <meta property="og:video:height" content={String(film.height)} />
      <meta name="twitter:card" content="summary_large_image" />
      <meta name="twitter:title" content={title} />
      <meta name="twitter:image" content={urls.poster} />
      <link rel="preload" as="image" href={urls.poster} />
    </>
  );
  return html(
    <Layout ctx={ctx} head={{ title: `${title} · ${t.siteName}`, canonical: pageUrl, extra, script: true }}>
      <article className="film">
        <div id="film-player" data-id={film.id} data-audio={film.audio ? 'true' : undefined}>
          {/* biome-ignore lint/a11y/useMediaCaption: stop-motion films made of still frames carry no speech to caption */}
          <video
            controls
            playsInline
            preload="metadata"
            poster={urls.poster}
            src={urls.video}
            width={film.width}
            height={film.height}
            aria-label={title}
          >
            {t.videoFallback}
          </video>
          {film.audio ? (
            // Shown by the script while the film plays muted (browsers allow only muted autoplay).
            <button type="button" id="unmute" className="unmute" hidden>
              <SpeakerIcon muted />
              <span>{t.soundOn}</span>
            </button>
          ) : null}
        </div>
        {film.audio ? (
          <p className="sound-sign" id="sound-sign">
            <SpeakerIcon />
            <span>{t.hasSound}</span>
          </p>
        ) : null}
        <h1>{title}</h1>
        <p className="meta">
          {t.seconds(seconds(film.durationSec))} · {t.madeAt(formatDate(film.createdAt, ctx.locale, ctx.timeZone))}
        </p>
        <div className="actions" data-share="" data-url={pageUrl} data-title={title}>
          <a className="button" href={`/m/${film.id}/download`} download>
            {t.download}
          </a>
          <button type="button" id="share-button" className="secondary" hidden>
            {t.share}
          </button>
          <button type="button" id="copy-button" className="secondary" data-done={t.copied} hidden>
            {t.copyLink}
          </button>
        </div>
        <p id="share-status" className="status" aria-live="polite" />
        <div className="link">
          <label htmlFor="film-link">{t.linkLabel}</label>
          <input id="film-link" type="url" readOnly value={pageUrl} />
        </div>
        <section id="owner" className="owner" data-id={film.id} data-done={t.removed} data-failed={t.removeFailed} hidden>
          <h2>{t.removeTitle}</h2>
          <p>{t.removeBody}</p>
          <button type="button" id="owner-remove" data-confirm={t.removeConfirm}>
            {t.removeButton}
          </button>
          <p id="owner-status" className="status" aria-live="polite" />
        </section>
        <p>
          <a href="/">{t.allFilms}</a>
        </p>
      </article>
    </Layout>,
  );
}

/**
 * The QR code was scanned before the film was uploaded: the page looks again by
 * itself. With script it asks the API quietly and reloads only once the film is
 * there; without script a meta refresh (inside <noscript>, so it never applies
 * when the script runs) reloads the page.
 */
export function renderOnItsWay(ctx: PageContext, id: string, refreshSeconds: number, why: 'making' | 'review' = 'making'): string {
  const { t } = ctx;
  const title = why === 'review' ? t.reviewTitle : t.onItsWayTitle;
  const body = why === 'review' ? t.reviewBody : t.onItsWayBody;
  const extra = (
    <noscript>
      <meta httpEquiv="refresh" content={String(refreshSeconds)} />
    </noscript>
  );
  return html(
    <Layout ctx={ctx} head={{ title: `${title} · ${t.siteName}`, extra, noindex: true, script: true }}>
      <section className="waiting" data-wait-id={id} data-wait-seconds={refreshSeconds} data-wait-why={why}>
        <div className="spinner" aria-hidden="true" />
        <h1>{title}</h1>
        <p>{body}</p>
        <p>
          <a className="button secondary" href={`/m/${id}`}>
            {t.checkNow}
          </a>
        </p>
      </section>
    </Layout>,
  );
}

/** Finding a film by the six-character code under its QR code (a lost ticket, a phone without a camera). */
export function renderCode(ctx: PageContext, opts: { code: string; problem?: 'notFound' | 'invalid' | 'tooMany' }): string {
  const { t } = ctx;
  const problem =
    opts.problem === 'notFound'
      ? t.codeNotFound
      : opts.problem === 'invalid'
        ? t.codeInvalid
        : opts.problem === 'tooMany'
          ? t.codeTooMany
          : null;
  return html(
    <Layout ctx={ctx} head={{ title: `${t.codeTitle} · ${t.siteName}`, noindex: true }}>
      <section className="code-lookup">
        <h1>{t.codeTitle}</h1>
        <p>{t.codeBody}</p>
        <form method="get" action="/code" className="code-form">
          <label htmlFor="code">{t.codeLabel}</label>
          <input
            id="code"
            name="c"
            defaultValue={opts.code}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={16}
            dir="ltr"
            inputMode="text"
            aria-describedby={problem ? 'code-problem' : undefined}
          />
          <button type="submit" className="button">
            {t.codeFind}
          </button>
        </form>
        {problem && (
          <p id="code-problem" className="code-problem" role="alert" data-problem={opts.problem}>
            {problem}
          </p>
        )}
      </section>
    </Layout>,
  );
}

export function renderMessage(ctx: PageContext, kind: 'notFound' | 'error' | 'privateFilm'): string {
  const { t } = ctx;
  const title = kind === 'notFound' ? t.notFoundTitle : kind === 'privateFilm' ? t.privateTitle : t.errorTitle;
  const body = kind === 'notFound' ? t.notFoundBody : kind === 'privateFilm' ? t.privateBody : t.errorBody;
  return html(
    <Layout ctx={ctx} head={{ title: `${title} · ${t.siteName}`, noindex: true }}>
      <h1>{title}</h1>
      <p>{body}</p>
      <p>
        <a href="/">{t.allFilms}</a>
      </p>
    </Layout>,
  );
}

/** Operators only; plain forms so it works from any browser without script. */
export function renderAdmin(
  ctx: PageContext,
  opts: { loggedIn: boolean; films: FilmMeta[]; removed?: Array<{ id: string; removedAt: string | null }>; message?: string },
): string {
  const head: Head = { title: `Moderation · ${ctx.t.siteName}`, noindex: true };
  if (!opts.loggedIn) {
    return html(
      <Layout ctx={ctx} head={head}>
        <h1>Moderation</h1>
        {opts.message ? <p role="alert">{opts.message}</p> : null}
        <form method="post" action="/admin/login">
          <p>
            <label htmlFor="token">Admin token</label>
            <br />
            <input id="token" name="token" type="password" autoComplete="current-password" required />
          </p>
          <button type="submit">Sign in</button>
        </form>
      </Layout>,
    );
  }
  return html(
    <Layout ctx={ctx} head={head}>
      <h1>Moderation</h1>
      {opts.message ? <p role="status">{opts.message}</p> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Film</th>
            <th scope="col">Created</th>
            <th scope="col">State</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {opts.films.map((f) => (
            <tr key={f.id}>
              <td>
                <a href={`/m/${f.id}`}>{sanitizeTitle(f.title) ?? f.id}</a>
              </td>
              <td>{f.createdAt}</td>
              <td>{f.hidden ? 'hidden' : 'visible'}</td>
              <td>
                <form method="post" action={`/admin/m/${f.id}/${f.hidden ? 'unhide' : 'hide'}`}>
                  <button type="submit" className={f.hidden ? 'secondary' : undefined}>
                    {f.hidden ? 'Unhide' : 'Hide'}
                  </button>
                </form>
              </td>
            </tr>
          ))}
          {(opts.removed ?? []).map((r) => (
            <tr key={r.id}>
              <td>{r.id}</td>
              <td>{r.removedAt ?? ''}</td>
              <td>removed by its owner</td>
              <td>cannot be undone</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action="/admin/logout">
        <p>
          <button type="submit" className="secondary">
            Sign out
          </button>
        </p>
      </form>
    </Layout>,
  );
}
