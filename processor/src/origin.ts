import { isIP } from 'node:net';

/**
 * Host and Origin rules of the status API, as on the station: a DNS-rebinding page
 * reaches us under its own host name, and a foreign page can send a "simple"
 * cross-origin POST (text/plain) without any preflight. Pure.
 */
export interface OriginRules {
  /** The address the API listens on (PROCESSOR_HOST). */
  host: string;
  /** Extra host names it answers to (PROCESSOR_ALLOWED_HOSTS), lower case. */
  allowedHosts: readonly string[];
  /** Extra origins allowed to send changes (PROCESSOR_ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
}

export function isLoopbackName(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '::ffff:127.0.0.1'
  );
}

/** The host name of a Host header value (`name`, `name:port`, `[v6]:port`), lower case; null when malformed. */
export function hostnameOf(hostHeader: string): string | null {
  let url: URL;
  try {
    url = new URL(`http://${hostHeader}`);
  } catch {
    return null;
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Allowed: loopback names, IP addresses (a rebinding attack always arrives under a
 * name of its own: a browser sends the name it resolved), the configured listen host,
 * and PROCESSOR_ALLOWED_HOSTS. A missing Host (HTTP/1.0 tools) is refused.
 */
export function isAllowedHost(hostHeader: string | undefined, r: OriginRules): boolean {
  if (!hostHeader) return false;
  const name = hostnameOf(hostHeader);
  if (name === null || name === '') return false;
  if (isLoopbackName(name) || isIP(name) !== 0) return true;
  const own = r.host.toLowerCase();
  if (own !== '0.0.0.0' && own !== '::' && name === own) return true;
  return r.allowedHosts.includes(name);
}

/**
 * For requests that change something. No Origin (curl, scripts) is allowed; a browser
 * always sends one on a POST. Otherwise it must be the API's own origin (the page it
 * served, under an allowed Host) or listed. Unlike the station, other loopback ports are
 * not trusted: the gallery and the demo's services run on this same machine.
 */
export function isAllowedOrigin(origin: string | undefined, hostHeader: string | undefined, r: OriginRules): boolean {
  if (origin === undefined) return true;
  if (r.allowedOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (hostHeader === undefined || !isAllowedHost(hostHeader, r)) return false;
  try {
    // Same origin: compared after the same normalisation (default ports, case).
    return new URL(`${url.protocol}//${hostHeader}`).host === url.host;
  } catch {
    return false;
  }
}
