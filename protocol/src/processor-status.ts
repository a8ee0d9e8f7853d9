import { z } from 'zod';
import { movieIdSchema } from './ids.js';
import { publishSchema } from './manifest.js';

/** Where a package's work stands on the processor; one JSON job record each. `removed`: its owner removed it, nothing brings it back. */
/** `review`: rendered and public, held for an operator's decision (the processor's MODERATION=pre). */
export const jobStateSchema = z.enum([
  'received',
  'rendering',
  'rendered',
  'review',
  'uploading',
  'done',
  'failed',
  'quarantined',
  'removed',
]);
export type JobState = z.infer<typeof jobStateSchema>;

export const droppedFrameSchema = z.object({ file: z.string(), reason: z.string() });
export type DroppedFrame = z.infer<typeof droppedFrameSchema>;

/** The big screen as the processor sees it. */
export const playerStatusSchema = z.object({
  kind: z.enum(['mpv', 'none']),
  state: z.enum(['starting', 'playing', 'idle', 'restarting', 'off']),
  nowPlaying: movieIdSchema.nullable(),
  playlist: z.array(movieIdSchema),
  restarts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  /** The mpv process on screen, when known. */
  pid: z.number().int().nullable(),
  /** The operator's volume and mute now, and whether quiet hours are why it is muted. */
  sound: z.object({ volume: z.number().int().min(0).max(100), mute: z.boolean(), quiet: z.boolean() }).optional(),
  /** Held on the event slide by an operator (the control room). */
  paused: z.boolean().optional(),
});
export type PlayerStatus = z.infer<typeof playerStatusSchema>;

/** One tree retention removed (or moved to the quarantine), for the operator. */
export const cleanedSchema = z.object({
  area: z.enum(['inbox', 'quarantine', 'films']),
  name: z.string(),
  bytes: z.number().nonnegative(),
  reason: z.string(),
  at: z.string(),
});
export type Cleaned = z.infer<typeof cleanedSchema>;

export const retentionStatusSchema = z.object({
  lastSweepAt: z.string().nullable(),
  totals: z.object({ entries: z.number().int().nonnegative(), bytes: z.number().nonnegative() }),
  /** Newest first. */
  cleaned: z.array(cleanedSchema),
  /** The configured limits, in ms and bytes (0 = off). */
  limits: z.record(z.string(), z.number()),
});
export type RetentionStatus = z.infer<typeof retentionStatusSchema>;

/** The last pass comparing the playlist and local films with the bucket's meta.json and tombstones. */
export const reconcileReportSchema = z.object({
  at: z.string(),
  checked: z.number().int().nonnegative(),
  hidden: z.array(movieIdSchema),
  shown: z.array(movieIdSchema),
  removed: z.array(movieIdSchema),
  error: z.string().nullable(),
});
export type ReconcileReport = z.infer<typeof reconcileReportSchema>;

/** Whether the bucket honours `If-None-Match: *` (found out by a probe). */
export const conditionalSupportSchema = z.enum(['supported', 'unsupported', 'unknown']);
export type ConditionalSupport = z.infer<typeof conditionalSupportSchema>;

export const statusJobSchema = z.object({
  id: movieIdSchema,
  state: jobStateSchema,
  publish: publishSchema.nullable(),
  /** 0…1: the render's progress; 1 once rendered. */
  progress: z.number().min(0).max(1),
  title: z.string().nullable(),
  stationId: z.string().nullable(),
  receivedAt: z.string(),
  updatedAt: z.string(),
  frameCount: z.number().int().nullable(),
  durationSec: z.number().nullable(),
  renderMs: z.number().nullable(),
  dropped: z.array(droppedFrameSchema),
  reason: z.string().nullable(),
  /** Public films only. */
  upload: z
    .object({
      attempts: z.number().int().nonnegative(),
      lastError: z.string().nullable(),
      nextAttemptAt: z.string().nullable(),
      uploadedAt: z.string().nullable(),
    })
    .nullable(),
});
export type StatusJob = z.infer<typeof statusJobSchema>;

/** A quarantined package: a job's (by id) or a stray inbox entry that never had one (by its shown name). */
export const statusQuarantineSchema = z.union([
  z.object({ id: movieIdSchema, reason: z.string().nullable(), at: z.string() }),
  z.object({ id: z.null(), name: z.string(), reason: z.string(), at: z.string() }),
]);

/** `GET /status` of the processor; the operator page renders the same object. */
export const processorStatusSchema = z.object({
  service: z.literal('processor'),
  time: z.string(),
  jobs: z.array(statusJobSchema),
  /** Waiting for or in the render, in order. */
  queue: z.array(movieIdSchema),
  /** The last films through, newest first. */
  recent: z.array(
    z.object({
      id: movieIdSchema,
      title: z.string().nullable(),
      renderMs: z.number().nullable(),
      doneAt: z.string().nullable(),
      publish: publishSchema.nullable(),
    }),
  ),
  uploadsWaiting: z.array(
    z.object({
      id: movieIdSchema,
      attempts: z.number().int().nonnegative(),
      lastError: z.string().nullable(),
      nextAttemptAt: z.string().nullable(),
    }),
  ),
  failures: z.array(z.object({ id: movieIdSchema, reason: z.string().nullable() })),
  quarantine: z.array(statusQuarantineSchema),
  playlist: z.array(movieIdSchema),
  nowPlaying: movieIdSchema.nullable(),
  player: playerStatusSchema,
  disk: z.object({ freeBytes: z.number().nonnegative(), totalBytes: z.number().nonnegative() }).nullable(),
  retention: retentionStatusSchema.nullable(),
  removed: z.array(z.object({ id: movieIdSchema, at: z.string() })),
  /** With S3 configured. */
  reconcile: reconcileReportSchema.nullable().optional(),
  s3ConditionalWrites: conditionalSupportSchema.optional(),
});
export type ProcessorStatus = z.infer<typeof processorStatusSchema>;
