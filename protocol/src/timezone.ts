import { z } from 'zod';

/** True for a time zone this runtime knows (IANA names such as `Asia/Jerusalem`, or `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The host's own zone: on a processing unit set up for the event, the event's zone. */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * `EVENT_TIMEZONE`, shared by the processor (title card date) and the gallery (dates
 * shown): the zone in which a film's date is the day the child made it.
 */
export const eventTimeZoneSchema = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? hostTimeZone() : v.trim()))
  .refine(isTimeZone, { message: 'must be a time zone name such as Asia/Jerusalem or UTC' });
