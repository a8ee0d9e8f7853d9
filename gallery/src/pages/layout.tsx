/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type { ReactNode } from 'react';
import { dirOf, LOCALE_NAMES, LOCALES, type Locale, type Messages } from '../i18n.js';

export interface PageContext {
  locale: Locale;
  t: Messages;
  /** The path and query of this page without `lang`, for the language links. */
  path: string;
  assets: { css: string; js: string; icon: string };
  /** Absolute base URL of the site (for canonical and OpenGraph URLs). */
  baseUrl: string;
  /** EVENT_TIMEZONE: films are dated by the day it was where they were made. */
  timeZone: string;
}

export interface Head {
  title: string;
  description?: string;
  /** Extra head elements: OpenGraph, refresh. */
  extra?: ReactNode;
  noindex?: boolean;
  canonical?: string;
  script?: boolean;
}

function langHref(path: string, lang: Locale): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

export function Layout({ ctx, head, children }: { ctx: PageContext; head: Head; children: ReactNode }) {
  const { t, locale } = ctx;
  return (
    <html lang={locale} dir={dirOf(locale)}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{head.title}</title>
        <meta name="description" content={head.description ?? t.tagline} />
        {head.noindex ? <meta name="robots" content="noindex" /> : null}
        {head.canonical ? <link rel="canonical" href={head.canonical} /> : null}
        <link rel="icon" href={ctx.assets.icon} type="image/svg+xml" />
        <link rel="stylesheet" href={ctx.assets.css} />
        {head.extra}
        {head.script ? <script src={ctx.assets.js} defer /> : null}
      </head>
      <body>
        <header className="top">
          <a className="brand" href="/">
            {t.siteName}
          </a>
          <nav aria-label={t.language}>
            <ul className="langs">
              {LOCALES.map((l) => (
                <li key={l}>
                  <a href={langHref(ctx.path, l)} lang={l} hrefLang={l} aria-current={l === locale ? 'true' : undefined}>
                    {LOCALE_NAMES[l]}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        </header>
        <main id="main">{children}</main>
        <footer>{t.siteName}</footer>
      </body>
    </html>
  );
}
