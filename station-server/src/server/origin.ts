/**
 * Whether a browser page at `origin` may drive this station. Pure.
 *
 * Allowed: requests without an Origin (curl, the kiosk's own tools), pages served
 * from a loopback address on any port (the station itself, or a designer's Vite dev
 * server proxying to it), the station's own configured host, and origins listed in
 * ALLOWED_ORIGINS. Comparing with the Host header is deliberately not enough: a
 * DNS-rebinding page has a matching Host and a foreign name.
 */
export function isAllowedOrigin(origin: string | undefined, o: { host: string; allowed: readonly string[] }): boolean {
  if (origin === undefined || origin === '') return true;
  if (o.allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(hostname)) return true;
  const own = o.host.toLowerCase();
  return own !== '0.0.0.0' && own !== '::' && own !== '' && hostname === own;
}

export function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '::ffff:127.0.0.1'
  );
}

/**
 * Whether the `Host` header names this station. Pure.
 *
 * A DNS-rebinding page reaches the loopback server under the attacker's own name,
 * so its requests carry that name in Host; refusing it keeps every GET (state with
 * private films, frames, thumbnails, the UI) unreadable from such a page. Allowed,
 * as Vite's dev server does: loopback names, any IP literal (a browser only sends one
 * when the user typed it), the configured STATION_HOST, and ALLOWED_HOSTS plus the
 * hosts of ALLOWED_ORIGINS. No Host at all (HTTP/1.0 tools) is allowed.
 */
export function isAllowedHost(host: string | undefined, o: { host: string; allowed: readonly string[] }): boolean {
  if (host === undefined || host === '') return true;
  const hostname = hostnameOf(host);
  if (hostname === null) return false;
  if (isLoopback(hostname) || isIpLiteral(hostname)) return true;
  const own = o.host.toLowerCase();
  if (own !== '0.0.0.0' && own !== '::' && hostname === own) return true;
  return o.allowed.some((a) => a.toLowerCase() === hostname);
}

/** `name[:port]` or `[v6][:port]` → the lower-case name; null when it is not one. */
function hostnameOf(host: string): string | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]/\s@]+))(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return null;
  return (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '');
}

function isIpLiteral(hostname: string): boolean {
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)) return hostname.split('.').every((p) => Number(p) <= 255);
  return hostname.includes(':');
}

/** The host names of the origins in ALLOWED_ORIGINS (their pages send those as Host). */
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
