import { isIP } from 'node:net';

/**
 * Host and Origin rules of a server on loopback or a LAN, shared by the station and the
 * processor. A DNS-rebinding page reaches such a server under the attacker's own name
 * (so its requests carry that name as Host), and a foreign page can send a "simple"
 * cross-origin POST (text/plain) without any preflight. Pure.
 */
export interface OriginRules {
  /** The address the server listens on (its configured host). */
  host: string;
  /** Extra host names it answers to besides loopback names, IP addresses and `host`. */
  allowedHosts: readonly string[];
  /** Extra origins whose pages may send changes. */
  allowedOrigins: readonly string[];
  /** A request without Host (HTTP/1.0 tools) is allowed; false: refused. */
  allowNoHost?: boolean;
  /**
   * Pages on any loopback port and on the configured host are trusted (the station: a
   * designer's Vite dev server proxies to it). False (the processor): the gallery and the
   * demo's services share the machine, so only the server's own origin and the listed ones.
   */
  trustLoopbackPorts?: boolean;
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

/** The host name of a Host header value (`name`, `name:port`, `[v6]:port`), lower case, without a final dot; null when malformed. */
export function hostnameOf(hostHeader: string): string | null {
  let url: URL;
  try {
    url = new URL(`http://${hostHeader.trim()}`);
  } catch {
    return null;
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

/**
 * Whether the Host header names this server. Allowed: loopback names, IP addresses (a
 * browser sends one only when the user typed it; a rebinding attack always arrives under
 * a name of its own), the configured host unless it is a wildcard, and `allowedHosts`.
 */
export function isAllowedHost(hostHeader: string | undefined, r: OriginRules): boolean {
  if (hostHeader === undefined || hostHeader === '') return r.allowNoHost === true;
  const name = hostnameOf(hostHeader);
  if (name === null || name === '') return false;
  if (isLoopbackName(name) || isIP(name) !== 0) return true;
  const own = r.host.toLowerCase();
  if (!isWildcard(own) && name === own) return true;
  return r.allowedHosts.some((a) => a.toLowerCase() === name);
}

/**
 * For requests that change something. No Origin (curl, scripts) is allowed; a browser
 * always sends one on a POST. Otherwise it must be listed, or the server's own origin
 * (the page it served, under an allowed Host), or — with `trustLoopbackPorts` — a page
 * on a loopback address or on the configured host, on any port. Comparing with the Host
 * header alone would not be enough: a rebinding page has a matching Host, so that Host
 * must itself be allowed.
 */
export function isAllowedOrigin(origin: string | undefined, hostHeader: string | undefined, r: OriginRules): boolean {
  if (origin === undefined || origin === '') return true;
  if (r.allowedOrigins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (r.trustLoopbackPorts) {
    const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isLoopbackName(hostname)) return true;
    const own = r.host.toLowerCase();
    if (!isWildcard(own) && hostname === own) return true;
  }
  if (hostHeader === undefined || hostHeader === '' || !isAllowedHost(hostHeader, r)) return false;
  try {
    // Same origin: compared after the same normalisation (default ports, case).
    return new URL(`${url.protocol}//${hostHeader.trim()}`).host === url.host;
  } catch {
    return false;
  }
}

/** The host names of origins (pages of an allowed origin, proxied, send those as Host). */
export function hostsOfOrigins(origins: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of origins) {
    try {
      out.push(new URL(o).hostname.replace(/^\[|\]$/g, '').toLowerCase());
    } catch {
      // Not a URL: it can never match an Origin either.
    }
  }
  return out;
}
