import { z } from 'zod';

/** A service refuses to start on bad configuration with this exit code (systemd shows it; nothing restarts into the same mistake quietly). */
export const CONFIG_EXIT_CODE = 2;

/** Bad configuration: every bad variable, each on its own line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** `VAR: message` for each issue of a failed env parse. */
export function configProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
}

const TRUE = ['true', '1', 'yes', 'on'] as const;
const FALSE = ['false', '0', 'no', 'off'] as const;

/** The words every service accepts for a yes/no variable. */
export const FLAG_WORDS = [...TRUE, ...FALSE] as const;

/** A yes/no word as a value: true/false, 1/0, yes/no, on/off, any case. */
export const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(FLAG_WORDS, { message: `must be one of ${FLAG_WORDS.join(', ')}` }))
  .transform((v) => (TRUE as readonly string[]).includes(v));

/** A yes/no environment variable; unset = `fallback`. */
export function envFlag(fallback: boolean) {
  return flag.optional().transform((v) => v ?? fallback);
}

/** Unset and blank mean the same: a unit file or a dashboard often leaves an empty value behind. */
export const envText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** A number variable from `min` to `max` (whole when `whole`); unset or blank = `fallback`. The refusal quotes what was given. */
function envNumberOf<F extends number | undefined>(fallback: F, min: number, max: number, whole: boolean) {
  return z
    .string()
    .optional()
    .transform((v, ctx): number | F => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!(whole ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
        const what = whole ? 'a whole number' : 'a number';
        ctx.addIssue({ code: 'custom', message: `must be ${what} from ${min} to ${max}, got ${JSON.stringify(v.slice(0, 40))}` });
        return z.NEVER;
      }
      return n;
    });
}

/** A whole-number variable from `min` to `max`; unset or blank = `fallback`. */
export function envInt(fallback: number, min: number, max: number) {
  return envNumberOf(fallback, min, max, true);
}

/** A number variable (fractions allowed) from `min` to `max`; unset or blank = `fallback` (which may be undefined). */
export function envNumber<F extends number | undefined>(fallback: F, min: number, max: number) {
  return envNumberOf(fallback, min, max, false);
}
