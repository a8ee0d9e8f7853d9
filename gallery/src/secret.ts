import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const COMPARE_KEY = randomBytes(32);
const mac = (value: string | Buffer) => createHmac('sha256', COMPARE_KEY).update(value).digest();

/**
 * The gallery's one comparison of a secret (admin token, metrics token, owner key digest):
 * in constant time whatever the lengths, since both sides are MACed with a per-process key first.
 */
export function secretEquals(given: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(mac(given), mac(expected));
}

/** The token of an `Authorization: Bearer <token>` header, if it has one. */
export function bearerToken(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}
