import { isValidId } from '@stop-motion/protocol';
import type { RateLimiter } from './ratelimit.js';
import { secretEquals } from './secret.js';

export { type AdminSessions, createAdminSessions } from './admin-sessions.js';
export { secretEquals } from './secret.js';

export const ADMIN_COOKIE = 'sms_admin';

// ---- messages -------------------------------------------------------------

/** The only texts `/admin?msg=` can show: a link can name a code, never write the words. */
export const ADMIN_MESSAGES = {
  wrong_token: 'Wrong token',
  sign_in: 'Please sign in',
  signed_out: 'Signed out',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  unavailable: 'Sign-in is unavailable right now (the session store does not answer). The bearer API still works.',
  hidden: 'Hidden',
  shown: 'Shown again',
  not_found: 'Not found',
  removed: 'Removed by its owner: it cannot be shown again',
} as const;
export type AdminMessageCode = keyof typeof ADMIN_MESSAGES;

const isCode = (v: unknown): v is AdminMessageCode => typeof v === 'string' && Object.hasOwn(ADMIN_MESSAGES, v);

/** The text for `?msg=<code>&id=<id>`, or nothing for an unknown code. */
export function adminMessage(code: unknown, id?: unknown): string | undefined {
  if (!isCode(code)) return undefined;
  return isValidId(id) ? `${ADMIN_MESSAGES[code]}: ${id}` : ADMIN_MESSAGES[code];
}

export const adminLocation = (code: AdminMessageCode, id?: string) => `/admin?msg=${code}${id ? `&id=${encodeURIComponent(id)}` : ''}`;

// ---- the token ------------------------------------------------------------

export type GuardResult = 'ok' | 'denied' | 'limited';

/**
 * The admin token's brake. The budget is looked at before the token is compared,
 * so a client that has spent it is refused even when it finally sends the right
 * token; only wrong guesses spend it, so an operator's script is never slowed.
 */
export function createAdminGuard(token: string, failures: RateLimiter) {
  return {
    check(client: string, given: string | undefined): GuardResult {
      if (!failures.available(client)) return 'limited';
      if (given !== undefined && secretEquals(given, token)) return 'ok';
      failures.take(client);
      return 'denied';
    },
  };
}
export type AdminGuard = ReturnType<typeof createAdminGuard>;
