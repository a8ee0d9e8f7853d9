import { isIP } from 'node:net';
import os from 'node:os';

type Interfaces = ReturnType<typeof os.networkInterfaces>;

/** This machine's addresses that a phone on the same network could reach: IPv4 first, no loopback. */
export function lanAddresses(interfaces: Interfaces = os.networkInterfaces()): string[] {
  const found: Array<{ address: string; family: string }> = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      // Link-local IPv6 needs a zone id that phones' browsers do not take in a URL.
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')) continue;
      found.push(a);
    }
  }
  found.sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1));
  return found.map((a) => a.address);
}

/**
 * DEMO_HOST: the address the gallery and S3 listen on and the QR codes point to.
 * It must be an address of this machine (a phone cannot open 0.0.0.0 or a name
 * only this machine resolves), or loopback.
 */
export function checkDemoHost(
  value: string | undefined,
  interfaces: Interfaces = os.networkInterfaces(),
): { ok: true; host: string } | { ok: false; message: string } {
  const host = value?.trim() || '127.0.0.1';
  const own = lanAddresses(interfaces);
  const hint = own.length > 0 ? ` This machine's addresses: ${own.join(', ')}.` : '';
  if (isIP(host) === 0) return { ok: false, message: `DEMO_HOST must be an IP address of this machine, not "${host}".${hint}` };
  if (host === '0.0.0.0' || host === '::')
    return { ok: false, message: `DEMO_HOST must be the address phones open, not the wildcard ${host}.${hint}` };
  const loopback = host.startsWith('127.') || host === '::1';
  if (!loopback && !own.includes(host)) return { ok: false, message: `DEMO_HOST ${host} is not an address of this machine.${hint}` };
  return { ok: true, host };
}
