import { gzipSync } from 'node:zlib';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Asset } from '../assets.js';
import type { GalleryConfig } from '../config.js';
import { chooseLocale, MESSAGES } from '../i18n.js';
import type { Cached } from '../pagecache.js';
import type { PageContext } from '../pages/pages.js';

/** What every route module needs to answer a visitor: their page context and the ways to send a page. */
export interface WebContext {
  /** GALLERY_PUBLIC_URL is https: cookies are Secure and HSTS is on. */
  readonly https: boolean;
  ctxFor(req: FastifyRequest, reply: FastifyReply): PageContext;
  sendHtml(reply: FastifyReply, status: number, body: string, cache?: string): FastifyReply;
  /** The base of absolute links: GALLERY_PUBLIC_URL, else the request's own. */
  baseUrlOf(req: FastifyRequest): string;
  /** The client a rate limit counts (the address after the trusted proxies). */
  clientKey(req: FastifyRequest): string;
}

/** The cookies of a `Cookie` header (a value that is not valid percent-encoding is kept as sent). */
export function parseCookies(header: string | undefined): Record<string, string> {
  return header ? { ...fastifyCookie.parse(header) } : {};
}

const LANG_COOKIE_SECONDS = 31_536_000;

/**
 * Rendered pages are cached, so they are gzipped once per cached body here rather than
 * per request by @fastify/compress (which skips a reply that already has an encoding).
 */
export function sendCached(req: FastifyRequest, reply: FastifyReply, entry: Cached) {
  if (!reply.hasHeader('vary')) reply.header('vary', 'Accept-Encoding, Accept-Language, Cookie');
  const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (!accepts || entry.body.length < 1024) return reply.send(entry.body);
  entry.gz ??= gzipSync(entry.body, { level: 6 });
  return reply.header('content-encoding', 'gzip').send(entry.gz);
}

export function createWebContext(config: GalleryConfig, assets: Map<string, Asset>): WebContext {
  const https = config.GALLERY_PUBLIC_URL?.startsWith('https:') ?? false;
  const urls = {
    css: assets.get('app.css')?.url ?? '/static/app.css',
    js: assets.get('app.js')?.url ?? '/static/app.js',
    icon: assets.get('icon.svg')?.url ?? '/static/icon.svg',
  };
  const baseUrlOf = (req: FastifyRequest) => config.GALLERY_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
  return {
    https,
    baseUrlOf,
    clientKey: (req) => req.ip,
    ctxFor(req, reply) {
      const query = req.query as Record<string, unknown>;
      // Unset when an earlier onRequest hook failed (the error page still needs a context).
      const cookies = req.cookies ?? {};
      const locale = chooseLocale(query.lang, cookies.lang, req.headers['accept-language']);
      if (typeof query.lang === 'string' && query.lang === locale && cookies.lang !== locale) {
        reply.setCookie('lang', locale, { path: '/', maxAge: LANG_COOKIE_SECONDS, sameSite: 'lax', secure: https });
      }
      let path = req.url;
      if (path.includes('lang=')) {
        const url = new URL(req.url, 'http://x');
        url.searchParams.delete('lang');
        path = `${url.pathname}${url.search}`;
      }
      return { locale, t: MESSAGES[locale], path, assets: urls, baseUrl: baseUrlOf(req), timeZone: config.EVENT_TIMEZONE };
    },
    sendHtml: (reply, status, body, cache = 'no-cache') =>
      reply
        .code(status)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', cache)
        .header('vary', 'Accept-Language, Cookie')
        .send(body),
  };
}
