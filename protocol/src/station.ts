import { z } from 'zod';
import { FRAME_NAME_PATTERN } from './frames.js';
import { idSchema, movieIdSchema, stationIdSchema } from './ids.js';
import { localeSchema, publishSchema, titleSchema } from './manifest.js';

/** Bumped on any incompatible change of the messages below. */
export const STATION_PROTOCOL_VERSION = 1;
/** Control messages larger than this are refused unread. */
export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024;
export const CONTROL_PATH = '/ws';
export const LIVE_PATH = '/live';

export const buttonActionSchema = z.enum(['capture', 'undo', 'play', 'finish']);
export type ButtonAction = z.infer<typeof buttonActionSchema>;
export const buttonSourceSchema = z.enum(['gpio', 'sim', 'key', 'touch', 'api', 'gamepad']);
export type ButtonSourceKind = z.infer<typeof buttonSourceSchema>;

const isoDateTime = z.iso.datetime({ offset: true });

/** A frame of the current movie; `hash` changes whenever the file behind a name changes. */
export const frameRefSchema = z.object({
  file: z.string().regex(FRAME_NAME_PATTERN),
  hash: z.string().regex(/^[0-9a-f]{8,64}$/),
});
export type FrameRef = z.infer<typeof frameRefSchema>;

export const movieStateSchema = z.object({
  id: movieIdSchema,
  startedAt: isoDateTime,
  fps: z.number().int().min(1).max(60),
  maxFrames: z.number().int().min(1),
  frames: z.array(frameRefSchema),
});
export type MovieState = z.infer<typeof movieStateSchema>;

export const cameraStatusSchema = z.object({
  state: z.enum(['starting', 'ok', 'restarting', 'failed', 'off']),
  kind: z.string(),
  message: z.string().optional(),
  restarts: z.number().int().nonnegative(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  /** What the camera offers and what was chosen, e.g. "MJPG 1280x720@25; YUYV 640x480@30 (using MJPG 1280x720@25)". */
  modes: z.string().max(2000).optional(),
});
export type CameraStatus = z.infer<typeof cameraStatusSchema>;

export const deliveryStatusSchema = z.object({
  target: z.string().nullable(),
  pending: z.number().int().nonnegative(),
  sent: z.number().int().nonnegative(),
  lastSuccessAt: isoDateTime.nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: isoDateTime.nullable(),
  nextAttemptAt: isoDateTime.nullable(),
});
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

export const diskStatusSchema = z.object({
  freeBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  /** True when free space is so low that new captures are refused. */
  full: z.boolean(),
});
export type DiskStatus = z.infer<typeof diskStatusSchema>;

export const buttonsStatusSchema = z.object({
  kind: z.string(),
  state: z.enum(['ok', 'failed', 'off']),
  message: z.string().optional(),
});

export const uiSettingsSchema = z.object({
  locale: localeSchema,
  idleMinutes: z.number().positive(),
  /** What happens to an abandoned film when nobody answers "still there?": finished for the big screen only, kept, or cleared. */
  idleAction: z.enum(['finish', 'keep', 'clear']),
  titleEnabled: z.boolean(),
  sound: z.boolean(),
  onionOpacity: z.number().min(0).max(1),
  galleryPublicUrl: z.string().nullable(),
  claimSeconds: z.number().int().positive(),
  designer: z.boolean(),
  keys: z.record(z.string(), buttonActionSchema).optional(),
  /** Gamepad button index ("0", "1", …) → action: USB arcade encoders that present as joysticks. */
  gamepad: z.record(z.string().regex(/^\d{1,2}$/), buttonActionSchema).optional(),
  /** A gamepad press counts only when its button was up this long before (BUTTON_DEBOUNCE_MS). */
  buttonDebounceMs: z.number().int().nonnegative().optional(),
});
export type UiSettings = z.infer<typeof uiSettingsSchema>;

export const recentMovieSchema = z.object({
  id: movieIdSchema,
  finishedAt: isoDateTime,
  frameCount: z.number().int().nonnegative(),
  publish: publishSchema,
  posterFile: z.string().regex(FRAME_NAME_PATTERN).nullable(),
});
export type RecentMovie = z.infer<typeof recentMovieSchema>;

export const claimStateSchema = z.object({ movieId: movieIdSchema, endsAt: isoDateTime });
export type ClaimState = z.infer<typeof claimStateSchema>;

export const stationStateSchema = z.object({
  stationId: stationIdSchema,
  movie: movieStateSchema,
  camera: cameraStatusSchema,
  buttons: buttonsStatusSchema,
  delivery: deliveryStatusSchema,
  disk: diskStatusSchema,
  settings: uiSettingsSchema,
  recent: z.array(recentMovieSchema),
  /** The claim screen of the film just finished: button presses do not capture until it ends. */
  claim: claimStateSchema.nullable().optional(),
  /** Closed for a break by the operator: the UI shows a pause picture and presses do nothing. */
  closed: z.boolean().optional(),
});
export type StationState = z.infer<typeof stationStateSchema>;

// ---- server → client ----------------------------------------------------------

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  serverStartId: z.string().min(1).max(64),
  stationId: stationIdSchema,
});

export const snapshotSchema = z.object({ type: z.literal('snapshot'), state: stationStateSchema });

const event = <N extends string, D extends z.ZodType>(name: N, data: D) =>
  z.object({ type: z.literal('event'), name: z.literal(name), data });

export const stationEventSchema = z.discriminatedUnion('name', [
  event('frame.added', z.object({ movieId: movieIdSchema, frame: frameRefSchema, frameCount: z.number().int() })),
  event('frame.removed', z.object({ movieId: movieIdSchema, file: z.string(), frameCount: z.number().int() })),
  event('movie.started', z.object({ movie: movieStateSchema })),
  event(
    'movie.finished',
    z.object({ movieId: movieIdSchema, publish: publishSchema, frameCount: z.number().int(), recent: z.array(recentMovieSchema) }),
  ),
  event('movie.cleared', z.object({ movieId: movieIdSchema })),
  event('movie.limit', z.object({ movieId: movieIdSchema, maxFrames: z.number().int() })),
  event('capture.refused', z.object({ reason: z.enum(['limit', 'disk', 'camera', 'busy']), message: z.string() })),
  event('camera.status', cameraStatusSchema),
  event('delivery.status', deliveryStatusSchema),
  event('disk.status', diskStatusSchema),
  event('buttons.status', buttonsStatusSchema),
  event('settings.changed', uiSettingsSchema),
  event('button.pressed', z.object({ action: buttonActionSchema, source: buttonSourceSchema })),
  /** The claim screen ended early: the operator's "next child" gesture was made. */
  event('claim.ended', z.object({ movieId: movieIdSchema, reason: z.enum(['gesture']) })),
  /** The operator closed the station for a break, or opened it again. */
  event('station.closed', z.object({ closed: z.boolean() })),
]);
export type StationEvent = z.infer<typeof stationEventSchema>;
export type StationEventName = StationEvent['name'];
export type StationEventData<N extends StationEventName> = Extract<StationEvent, { name: N }>['data'];

export const errorCodeSchema = z.enum([
  'bad_request',
  'too_large',
  'unknown_method',
  'limit_reached',
  'disk_full',
  'camera_unavailable',
  'no_frames',
  'busy',
  'internal',
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const requestIdSchema = z.union([z.string().min(1).max(64), z.number().int()]);

export const replyOkSchema = z.object({ type: z.literal('reply'), id: requestIdSchema, ok: z.literal(true), data: z.unknown() });
export const replyErrorSchema = z.object({
  type: z.literal('reply'),
  /** null when the request was too broken to carry a usable id. */
  id: requestIdSchema.nullable(),
  ok: z.literal(false),
  error: z.object({ code: errorCodeSchema, message: z.string() }),
});

export const serverMessageSchema = z.union([helloSchema, snapshotSchema, stationEventSchema, replyOkSchema, replyErrorSchema]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type Hello = z.infer<typeof helloSchema>;
export type Snapshot = z.infer<typeof snapshotSchema>;
export type ReplyOk = z.infer<typeof replyOkSchema>;
export type ReplyError = z.infer<typeof replyErrorSchema>;

// ---- client → server ----------------------------------------------------------

export const finishParamsSchema = z.object({
  publish: publishSchema,
  title: titleSchema.optional(),
  /** Finished because nobody came back to it: no claim screen follows. */
  abandoned: z.boolean().optional(),
  /** A track id from the station's `GET /api/tracks`; absent means no music. */
  soundtrack: idSchema.optional(),
});
export type FinishParams = z.infer<typeof finishParamsSchema>;

/** What `movie.finish` answers: the QR code is built from these. */
export const finishResultSchema = z.object({
  movieId: movieIdSchema,
  ownerKey: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  shortCode: z.string().min(4).max(12),
  claimUrl: z.string().nullable(),
});
export type FinishResult = z.infer<typeof finishResultSchema>;

const request = <M extends string, P extends z.ZodType>(method: M, params: P) =>
  z.object({ type: z.literal('request'), id: requestIdSchema, method: z.literal(method), params });

export const clientRequestSchema = z.discriminatedUnion('method', [
  request('state.get', z.object({}).optional()),
  request('movie.capture', z.object({}).optional()),
  request('movie.undo', z.object({}).optional()),
  request('movie.finish', finishParamsSchema),
  request('movie.clear', z.object({}).optional()),
  request('button.press', z.object({ action: buttonActionSchema, source: buttonSourceSchema })),
  request('settings.set', uiSettingsSchema.pick({ locale: true, sound: true, onionOpacity: true }).partial()),
  request('ui.heartbeat', z.object({ at: z.number().optional() }).optional()),
  request(
    'ui.log',
    z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string().max(4000), stack: z.string().max(16000).optional() }),
  ),
]);
export type ClientRequest = z.infer<typeof clientRequestSchema>;
export type ClientMethod = ClientRequest['method'];
export const CLIENT_METHODS = clientRequestSchema.options.map((o) => o.shape.method.value);

/** What each request answers; the client validates every reply with its method's schema. */
export const clientResultSchemas = {
  'state.get': stationStateSchema,
  'movie.capture': z.object({ frame: frameRefSchema, frameCount: z.number().int().nonnegative() }),
  'movie.undo': z.object({ frameCount: z.number().int().nonnegative() }),
  'movie.finish': finishResultSchema,
  'movie.clear': z.object({ movieId: movieIdSchema }),
  'button.press': z.object({}),
  'settings.set': uiSettingsSchema,
  'ui.heartbeat': z.object({}),
  'ui.log': z.object({}),
} satisfies { [M in ClientMethod]: z.ZodType };

/** Results of each request, derived from their schemas. */
export type ClientResults = { [M in ClientMethod]: z.output<(typeof clientResultSchemas)[M]> };

// ---- remote-control HTTP API (loopback) ---------------------------------------

export const apiFinishBodySchema = finishParamsSchema;
export const apiFinishResponseSchema = z.object({ movieId: movieIdSchema });
