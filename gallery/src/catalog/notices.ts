import { createHash } from 'node:crypto';
import { type FilmNotice, filmNoticeSchema } from '@stop-motion/protocol';
import type { CatalogState } from '../store.js';

/** A notice no refresh could cover (S3 away for long) is left to the normal expiry after this long. */
export const PENDING_NOTICE_MS = 120_000;
/** How many received notices a refresh records as covered. */
const RECENT_NOTICES = 100;

/** Identifies one notice message across instances (they all receive the same bytes). */
export function noticeHash(message: string): string {
  return createHash('sha256').update(message).digest('hex').slice(0, 16);
}

/**
 * A refresh covers a notice when it started listing after the notice arrived here,
 * or when the refreshing instance had itself received that notice by then (every
 * instance gets the same broadcast; comparing clocks across hosts alone would make
 * each of them refresh again).
 */
export function covers(state: CatalogState, hash: string, at: number): boolean {
  return state.startedAt > at || (state.notices?.includes(hash) ?? false);
}

/** A message on FILMS_CHANNEL: the notice, or why it is ignored. */
export function parseNotice(message: string): { notice: FilmNotice } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { reason: 'not JSON' };
  }
  const parsed = filmNoticeSchema.safeParse(json);
  return parsed.success ? { notice: parsed.data } : { reason: 'does not match the schema' };
}

/** Changes announced to this instance, and which of them a refresh has covered yet. */
export class NoticeBook {
  /** Changes announced but not yet covered by a refresh: notice hash → when it arrived. */
  private readonly pendingByHash = new Map<string, number>();
  /** Recently received notices, recorded in the state of the next refresh. */
  private readonly recent: string[] = [];

  get pending(): ReadonlyMap<string, number> {
    return this.pendingByHash;
  }

  note(hash: string, at: number): void {
    this.pendingByHash.set(hash, at);
    this.recent.push(hash);
    if (this.recent.length > RECENT_NOTICES) this.recent.shift();
  }

  /** Forgets notices older than PENDING_NOTICE_MS: the normal expiry covers them. */
  dropExpired(now: number): void {
    for (const [hash, at] of this.pendingByHash) if (now - at > PENDING_NOTICE_MS) this.pendingByHash.delete(hash);
  }

  /** Forgets the notices the refresh behind `state` has covered. */
  coveredBy(state: CatalogState): void {
    for (const [hash, at] of this.pendingByHash) if (covers(state, hash, at)) this.pendingByHash.delete(hash);
  }

  /** Notices this instance has received so far: a refresh starting now covers them. */
  soFar(): string[] {
    return [...this.recent];
  }
}
