import { z } from 'zod';
import { movieIdSchema, stationIdSchema } from './ids.js';
import { buttonsStatusSchema, cameraStatusSchema } from './station.js';

/**
 * Station status reports (station → processor, outbound only) and the control room's
 * view of them. A report is display data: nothing on the processor acts on it except
 * to show it and to answer with the operator's requests for that station.
 */

export const REPORT_PATH = '/api/report';
export const REPORT_FORMAT = 'stop-motion-report';
export const REPORT_VERSION = 1;
/** Reports larger than this are refused unread. */
export const MAX_REPORT_BYTES = 16 * 1024;
/** Headers that carry the station's signature. */
export const REPORT_HEADERS = {
  station: 'x-stop-motion-station',
  time: 'x-stop-motion-time',
  signature: 'x-stop-motion-signature',
} as const;

/**
 * What the HMAC-SHA256 (keyed with the station's delivery secret) covers: the time it
 * was signed (ms since the epoch), the station id and the exact body bytes, so a
 * signature is good for one station, one body and one moment.
 */
export function reportSigningInput(time: string, stationId: string, body: string): string {
  return `${REPORT_FORMAT}\n${time}\n${stationId}\n${body}`;
}

const isoDateTime = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().max(max);

/** One-shot requests an operator can send a station; each carries an id the station acknowledges. */
export const stationActionKindSchema = z.enum(['restart-ui', 'redeliver']);
export type StationActionKind = z.infer<typeof stationActionKindSchema>;
export const stationActionSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/), kind: stationActionKindSchema });
export type StationAction = z.infer<typeof stationActionSchema>;

export const stationReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(REPORT_VERSION),
  stationId: stationIdSchema,
  /** The station's own clock when it wrote the report; the processor derives the offset from it. */
  clock: isoDateTime,
  /** Software version of the station server. */
  software: text(64),
  uptimeSec: z.number().nonnegative(),
  camera: cameraStatusSchema.extend({
    /** Frames per second seen since the last report. */
    fps: z.number().nonnegative().nullable(),
  }),
  buttons: buttonsStatusSchema.extend({ lastPressAt: isoDateTime.nullable() }),
  /** The kiosk UI's heartbeat (the watchdog's): null when the watchdog is off and nothing beat yet. */
  ui: z.object({
    lastBeatAt: isoDateTime.nullable(),
    secondsSinceBeat: z.number().nonnegative().nullable(),
    restarts: z.number().int().nonnegative(),
  }),
  disk: z.object({ freeBytes: z.number().nonnegative(), totalBytes: z.number().nonnegative(), full: z.boolean() }).nullable(),
  outbox: z.object({
    count: z.number().int().nonnegative(),
    /** Age of the oldest package waiting to be delivered. */
    oldestAgeSec: z.number().nonnegative().nullable(),
  }),
  delivery: z.object({
    lastSuccessAt: isoDateTime.nullable(),
    lastError: text(500).nullable(),
    lastErrorAt: isoDateTime.nullable(),
  }),
  film: z.object({ id: movieIdSchema, frameCount: z.number().int().nonnegative() }),
  /** Whether the station is closed for a break (as the processor last asked). */
  closed: z.boolean(),
  /** Ids of one-shot actions carried out since the last report. */
  done: z.array(z.string().max(40)).max(20),
});
export type StationReport = z.infer<typeof stationReportSchema>;

export const reportReplySchema = z.object({
  ok: z.literal(true),
  /** The processor's clock, for display of the offset on the station. */
  serverTime: isoDateTime,
  /** Closed for a break: the station shows a wordless pause picture and ignores presses. */
  closed: z.boolean(),
  actions: z.array(stationActionSchema).max(20),
});
export type ReportReply = z.infer<typeof reportReplySchema>;

/** A refused report: `clock` means the signed time was outside the window (serverTime says by how much). */
export const reportRefusalSchema = z.object({
  ok: z.literal(false),
  error: z.object({ code: z.enum(['unauthorized', 'clock', 'bad_request', 'too_large']), message: z.string() }),
  serverTime: isoDateTime.optional(),
});
export type ReportRefusal = z.infer<typeof reportRefusalSchema>;

// ---- the control room's view ----------------------------------------------------

export const stationHealthSchema = z.enum(['ok', 'warn', 'down']);
export type StationHealth = z.infer<typeof stationHealthSchema>;

export const stationViewSchema = z.object({
  id: stationIdSchema,
  lastSeenAt: isoDateTime.nullable(),
  state: stationHealthSchema,
  /** Why it is not ok, in an operator's words (empty when ok). */
  reasons: z.array(z.string()),
  /** Short machine names of the same reasons (`silent`, `camera`, `disk`, …) for alerts and tests. */
  problems: z.array(z.string()),
  camera: z.object({ state: z.string(), fps: z.number().nullable(), message: z.string().nullable() }).nullable(),
  buttons: z.object({ state: z.string(), lastPressAt: isoDateTime.nullable(), message: z.string().nullable() }).nullable(),
  ui: z.object({ alive: z.boolean().nullable(), secondsSinceBeat: z.number().nullable() }).nullable(),
  diskFreeBytes: z.number().nullable(),
  outboxCount: z.number().int().nullable(),
  outboxOldestAgeSec: z.number().nullable(),
  lastDelivery: z.object({ at: isoDateTime.nullable(), error: z.string().nullable() }).nullable(),
  frameCount: z.number().int().nullable(),
  software: z.string().nullable(),
  uptimeSec: z.number().nullable(),
  /** Station clock minus processor clock, in ms (positive: the station is ahead). */
  clockOffsetMs: z.number().nullable(),
  closed: z.boolean(),
  pendingActions: z.array(stationActionSchema),
});
export type StationView = z.infer<typeof stationViewSchema>;

export const stationsResponseSchema = z.object({ stations: z.array(stationViewSchema) });
export type StationsResponse = z.infer<typeof stationsResponseSchema>;

export const alertSeveritySchema = z.enum(['warn', 'critical']);
export const alertSchema = z.object({
  /** Stable key: the same condition keeps the same key while it lasts (e.g. `station.silent:s1`). */
  key: z.string(),
  kind: z.string(),
  severity: alertSeveritySchema,
  message: z.string(),
  raisedAt: isoDateTime,
  clearedAt: isoDateTime.nullable(),
});
export type Alert = z.infer<typeof alertSchema>;
