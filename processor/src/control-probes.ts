// The control room's reachability checks of S3, Redis and the gallery, each under its own deadline.
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { withDeadline } from '@stop-motion/kit';
import type { Reachability } from './alerts.js';
import { errorMessage } from './files.js';
import type { Logger } from './log.js';

export interface Probes {
  s3: Reachability;
  redis: Reachability;
  gallery: Reachability;
}

/** Before the first probe, and for a service that is not configured: no verdict, no alert. */
export const UNPROBED: Probes = {
  s3: { ok: null, error: null },
  redis: { ok: null, error: null },
  gallery: { ok: null, error: null },
};

export interface ProbeTargets {
  s3: S3Client | null;
  bucket: string | undefined;
  /** Redis round trip under a deadline; undefined when Redis is not configured. */
  pingRedis: ((timeoutMs: number) => Promise<void>) | undefined;
  galleryHealthUrl: string | undefined;
  timeoutMs: number;
}

async function check(run: (() => Promise<unknown>) | null): Promise<Reachability> {
  if (!run) return { ok: null, error: null };
  try {
    await run();
    return { ok: true, error: null };
  } catch (err) {
    return { ok: false, error: errorMessage(err).slice(0, 200) };
  }
}

/** All three at once; a stopped peer costs one deadline, never a hang. */
export async function probeServices({ s3, bucket, pingRedis, galleryHealthUrl, timeoutMs }: ProbeTargets): Promise<Probes> {
  const [s3r, redis, gallery] = await Promise.all([
    check(
      s3 && bucket
        ? () =>
            withDeadline('S3 HEAD bucket', timeoutMs, (abortSignal) => s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }))
        : null,
    ),
    check(pingRedis ? () => pingRedis(timeoutMs) : null),
    check(
      galleryHealthUrl
        ? async () => {
            const res = await fetch(galleryHealthUrl, { signal: AbortSignal.timeout(timeoutMs) });
            await res.body?.cancel();
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
          }
        : null,
    ),
  ]);
  return { s3: s3r, redis, gallery };
}

/** One line when a service becomes reachable or unreachable (not at every probe). */
export function logReachabilityChanges(before: Probes, after: Probes, log: Logger): void {
  for (const name of ['s3', 'redis', 'gallery'] as const) {
    const [was, now] = [before[name], after[name]];
    if (was.ok === now.ok || now.ok === null) continue;
    if (now.ok) log.info({ event: 'control.reachable', service: name }, 'a service answers again');
    else log.warn({ event: 'control.unreachable', service: name, err: now.error ?? undefined }, 'a service does not answer');
  }
}
