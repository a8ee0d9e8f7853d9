import { S3Client } from '@aws-sdk/client-s3';

/** Where the films are: the shared S3 settings every service reads. */
export interface S3Settings {
  region: string;
  /** Unset = AWS. */
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

export interface S3ClientOptions {
  /** Longest silence on the socket before the call fails. */
  requestTimeoutMs: number;
  connectionTimeoutMs?: number;
  /** The SDK's own attempts; 1 where the caller's queue retries with backoff. */
  maxAttempts?: number;
}

/**
 * The one S3 client factory. Checksums only when required (s3rver and several
 * S3-compatible servers store streamed uploads corrupted otherwise), and a request
 * timeout that throws: without `throwOnRequestTimeout` the SDK only logs a warning
 * and keeps waiting on a stopped server.
 */
export function createS3Client(s: S3Settings, o: S3ClientOptions): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: o.maxAttempts ?? 1,
    requestHandler: { connectionTimeout: o.connectionTimeoutMs ?? 5000, requestTimeout: o.requestTimeoutMs, throwOnRequestTimeout: true },
    ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
  });
}
