import { z } from 'zod';

/**
 * The code of an HTTP error answer, the same word for the same status in every
 * service: what a client branches on. The message is for people.
 */
export const httpErrorCodeSchema = z.enum([
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'timeout',
  'conflict',
  'gone',
  'too_large',
  'unsupported_media_type',
  'too_many_requests',
  'internal',
  'unavailable',
  'insufficient_storage',
]);
export type HttpErrorCode = z.infer<typeof httpErrorCodeSchema>;

/**
 * Every HTTP error answer of the station server, the processor and the gallery:
 * `{ error: { code, message } }`. `reason` names a service's own refusal where the code
 * alone says too little (the station's `limit_reached`, `disk_full`). The processor's
 * answers also carry `ok: false` beside `error`, which its pages read.
 */
export const httpErrorSchema = z.object({
  error: z.object({
    code: httpErrorCodeSchema,
    message: z.string(),
    reason: z.string().max(64).optional(),
  }),
});
export type HttpErrorBody = z.infer<typeof httpErrorSchema>;

/** The code for a status, where nothing more specific is known. */
export function httpErrorCodeFor(status: number): HttpErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
    case 421:
      return 'forbidden';
    case 404:
    case 405:
      return 'not_found';
    case 408:
      return 'timeout';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 413:
    case 431:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    case 503:
    case 504:
      return 'unavailable';
    case 507:
      return 'insufficient_storage';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'internal';
  }
}
