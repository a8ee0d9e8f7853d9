import { type ErrorReplies, sendError as send, useHttpErrors } from '@stop-motion/kit';
import { type HttpErrorCode, httpErrorCodeFor } from '@stop-motion/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from './log.js';

/** Beside the one error body, the processor's answers say `ok: false` (its pages and scripts branch on `ok`). */
const ENVELOPE = { ok: false } as const;

/** The one error body of every processor HTTP answer, with `ok: false`. */
export function sendError(reply: FastifyReply, status: number, code: HttpErrorCode, message: string, reason?: string): FastifyReply {
  return send(reply, status, code, message, { reason, envelope: ENVELOPE });
}

/** A module's own refusal (`status`, its own word): the code of the status, the word as the reason when it differs. */
export function sendRefusal(reply: FastifyReply, status: number, word: string, message: string): FastifyReply {
  const code = httpErrorCodeFor(status);
  return sendError(reply, status, code, message, word === code ? undefined : word);
}

/** Fastify's own errors (validation, 404, 413, 415, 500) in the same body, on one of the processor's listeners. */
export function useProcessorHttpErrors(app: FastifyInstance, log: Logger, event: string): ErrorReplies {
  return useHttpErrors(app, { log, envelope: ENVELOPE, event });
}
