import { z } from 'zod';

/**
 * Ids travel in URLs and become directory names on stations, the processing unit
 * and S3, so they are restricted to URL-safe characters that can never form a path:
 * no dots, slashes, NUL or whitespace, and a bounded length.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const idSchema = z
  .string()
  .max(64, 'id is longer than 64 characters')
  .regex(ID_PATTERN, 'id must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-", starting with a letter or digit');

export const movieIdSchema = idSchema;
export const stationIdSchema = idSchema;

export type MovieId = z.infer<typeof movieIdSchema>;
export type StationId = z.infer<typeof stationIdSchema>;

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Crockford base32 ULID: 48-bit time + 80 random bits; what stations generate. */
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');
