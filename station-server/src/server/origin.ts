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
