import { ConfigError, configProblems, flag } from '@stop-motion/kit';
import { eventTimeZoneSchema } from '@stop-motion/protocol';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './proxy.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Unset and empty mean the same thing: a PaaS dashboard often leaves a blank value behind. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) => z.preprocess((v) => blankToUndefined(v) ?? fallback, schema);

const port = z.coerce.number().int().min(0).max(65535);
const httpUrl = z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, ''));

export const configSchema = z.object({
  GALLERY_HOST: withDefault(z.string().min(1), '0.0.0.0'),
  GALLERY_PORT: optional(port),
  /** The port a PaaS assigns; GALLERY_PORT wins when both are set. */
  PORT: optional(port),
  GALLERY_ADMIN_TOKEN: optional(z.string().min(16, 'must be at least 16 characters')),
  REFRESH_SECONDS: withDefault(z.coerce.number().positive().max(86_400), 60),
  /**
   * How long a presigned video or poster URL is valid (reused for half of it): short,
   * so that a film removed or hidden stops playing within minutes.
   */
  PRESIGN_SECONDS: withDefault(z.coerce.number().int().min(60).max(604_800), 300),
  GALLERY_PUBLIC_URL: optional(httpUrl),
  /** Behind proxies: how many hops (or which addresses) to trust in X-Forwarded-For (rate limits). */
  TRUST_PROXY: withDefault(
    z.string().transform((v, ctx): TrustProxy => {
      const parsed = parseTrustProxy(v);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }),
    'false',
  ),
  /** How long an admin sign-in lasts. */
  GALLERY_ADMIN_SESSION_SECONDS: withDefault(
    z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 86_400),
    28_800,
  ),
  S3_ENDPOINT: optional(httpUrl),
  S3_BUCKET: z.string({ error: 'is required' }).min(3, 'is required').max(63),
  S3_REGION: withDefault(z.string().min(1), 'us-east-1'),
  S3_FORCE_PATH_STYLE: withDefault(flag, 'false'),
  AWS_ACCESS_KEY_ID: optional(z.string().min(1)),
  AWS_SECRET_ACCESS_KEY: optional(z.string().min(1)),
  S3_PUBLIC_BASE_URL: optional(httpUrl),
  /** Deadline of each S3 call; a stopped S3 then costs a page at most this long. */
  S3_TIMEOUT_SECONDS: withDefault(z.coerce.number().positive().max(120), 5),
  REDIS_URL: optional(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })),
  LOG_LEVEL: withDefault(z.enum(LOG_LEVELS), 'info'),
  EVENT_TIMEZONE: eventTimeZoneSchema,
  /** The event's name on the wall (`/wall`); unset = the site's name in the page's language. */
  EVENT_NAME: optional(z.string().trim().min(1).max(120)),
  /** How many of the newest public films the wall rotates through. */
  WALL_FILMS: withDefault(z.coerce.number().int().min(1).max(100), 24),
  /** How often the wall's stream pings; a wall drops a stream silent for three times as long (proxies with short idle timeouts want less). */
  WALL_PING_SECONDS: withDefault(z.coerce.number().int().min(1).max(300), 20),
  /** Bearer token of /metrics; unset: no /metrics at all. */
  METRICS_TOKEN: optional(z.string().min(16, 'must be at least 16 characters')),
  /** `pre`: films wait for review on the processing unit; a family's page says so instead of "on its way". */
  MODERATION: withDefault(z.enum(['post', 'pre']), 'post'),
});

export type RawConfig = z.output<typeof configSchema>;

export interface GalleryConfig extends RawConfig {
  /** The port to listen on: GALLERY_PORT, else PORT, else 8770. */
  port: number;
}

export { ConfigError };

/** Parses the environment once; every bad variable is listed in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GalleryConfig {
  const result = configSchema.safeParse(env);
  const problems = result.success ? [] : configProblems(result.error);
  // Checked beside the schema so that it is reported together with every other problem.
  const hasId = Boolean(env.AWS_ACCESS_KEY_ID?.trim());
  if (hasId !== Boolean(env.AWS_SECRET_ACCESS_KEY?.trim())) {
    problems.push(
      `${hasId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together or not at all`,
    );
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const c = result.data;
  return { ...c, port: c.GALLERY_PORT ?? c.PORT ?? 8770 };
}
