import { isIP } from 'node:net';

/**
 * What Fastify's `trustProxy` gets: no proxy (the socket's peer is the client),
 * a number of proxy hops in front of the gallery (the client is the address that
 * many hops from the end of X-Forwarded-For), or the proxies' addresses. Trusting
 * every hop (`true`) would let any client choose its own address and so escape
 * every rate limit.
 */
export type TrustProxy = false | number | string[];

/** proxy-addr's names for address ranges, accepted beside addresses and CIDRs. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Parses `TRUST_PROXY`: unset/`false`/`0` = none, `<n>` = hops, else a comma list of addresses or CIDRs. */
export function parseTrustProxy(raw: string): { ok: true; value: TrustProxy } | { ok: false; message: string } {
  const v = raw.trim();
  if (v === '' || v === 'false' || v === 'no' || v === '0') return { ok: true, value: false };
  if (v === 'true' || v === 'yes') {
    return {
      ok: false,
      message:
        'trusting every proxy lets any client choose its own address; give the number of proxies in front (e.g. 1) or their addresses',
    };
  }
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n <= 10 ? { ok: true, value: n } : { ok: false, message: 'at most 10 proxy hops' };
  }
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((e) => !isAddressOrRange(e));
  if (list.length === 0 || bad.length > 0) {
    return { ok: false, message: `not a number of hops or a list of addresses/CIDRs: ${bad.join(', ') || v}` };
  }
  return { ok: true, value: list };
}

/**
 * Fastify's own numeric `trustProxy` trusts nothing (it cannot know whether the
 * peer is a proxy), so hops are counted here: addresses `0..n-1` from the socket
 * inwards are proxies, the next one is the client. Only safe when the gallery can
 * be reached through those proxies alone (a PaaS router); else list their addresses.
 */
export function fastifyTrustProxy(tp: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof tp === 'number') return (_address: string, hop: number) => hop < tp;
  return tp;
}
