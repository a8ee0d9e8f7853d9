import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The CSP: our own scripts and styles only (no inline script anywhere), media from the
 * bucket or CDN origins, no framing, forms post only to us.
 */
export function cspDirectives(mediaOrigins: string[]): Record<string, string[]> {
  return {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', ...mediaOrigins],
    mediaSrc: ["'self'", ...mediaOrigins],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  };
}

/** Helmet has no Permissions-Policy: it is added here, on replies and on the wall's raw stream. */
export const PERMISSIONS_POLICY = { 'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()' };

/**
 * Security headers on every answer, errors and 404s included. Helmet writes them on the raw
 * response at onRequest, so the wall's hijacked event stream carries them too. Only the headers
 * the gallery has always sent are on; helmet's other defaults are off so behaviour stays as tested.
 */
export async function registerSecurityHeaders(app: FastifyInstance, opts: { mediaOrigins: string[]; https: boolean }) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(opts.mediaOrigins) },
    xContentTypeOptions: true,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    xPoweredBy: false,
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(PERMISSIONS_POLICY);
    return payload;
  });
}
