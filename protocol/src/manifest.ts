import { z } from 'zod';
import { checkFrameSequence, FRAME_NAME_PATTERN, frameFileName } from './frames.js';
import { idSchema, movieIdSchema, sha256HexSchema, stationIdSchema } from './ids.js';

export const PACKAGE_FORMAT = 'stop-motion-package';
export const PACKAGE_VERSION = 1;
/** Hard ceiling on frames in one package; services may configure a lower one. */
export const MAX_PACKAGE_FRAMES = 10_000;
export const MAX_TITLE_LENGTH = 120;

export const MANIFEST_FILE = 'manifest.json';
export const DONE_FILE = 'DONE';
export const PUBLISH_FILE = 'PUBLISH';
export const NOPUBLISH_FILE = 'NOPUBLISH';

export const publishSchema = z.enum(['public', 'private']);
export type Publish = z.infer<typeof publishSchema>;

// Control characters (other than none at all) have no place in a one-line title.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A film title as a child (or operator) typed it: any script, no control characters. */
export const titleSchema = z
  .string()
  .max(MAX_TITLE_LENGTH, `title is longer than ${MAX_TITLE_LENGTH} characters`)
  .refine((t) => !CONTROL_CHARS.test(t), 'title contains control characters')
  .transform((t) => t.trim());

/** A title as a manifest carries it: any string, to be passed through sanitizeTitle() before use. */
export const manifestTitleSchema = z.string();

export const localeSchema = z.enum(['en', 'he', 'ar']);
export type Locale = z.infer<typeof localeSchema>;

export const frameEntrySchema = z.object({
  file: z.string().regex(FRAME_NAME_PATTERN, 'frame file must be like 0000.jpg'),
  sha256: sha256HexSchema,
});
export type FrameEntry = z.infer<typeof frameEntrySchema>;

const isoDateTime = z.iso.datetime({ offset: true });

export const manifestV1Schema = z
  .object({
    format: z.literal(PACKAGE_FORMAT),
    version: z.literal(PACKAGE_VERSION),
    id: movieIdSchema,
    stationId: stationIdSchema,
    createdAt: isoDateTime,
    finishedAt: isoDateTime,
    fps: z.number().int().min(1).max(60),
    width: z.number().int().min(16).max(8192),
    height: z.number().int().min(16).max(8192),
    publish: publishSchema,
    // Any text: a title with a control character or too long costs the title, never the
    // film, so the fixing is left to sanitizeTitle() rather than refused here.
    title: manifestTitleSchema.optional(),
    locale: localeSchema.optional(),
    ownerKeyHash: sha256HexSchema.optional(),
    /** A track id from the event's `tracks.json`; absent means a silent film. */
    soundtrack: idSchema.optional(),
    frames: z.array(frameEntrySchema).min(1, 'a package needs at least one frame').max(MAX_PACKAGE_FRAMES),
  })
  .superRefine((m, ctx) => {
    const sequence = checkFrameSequence(m.frames.map((f) => f.file));
    if (!sequence.ok) {
      ctx.addIssue({ code: 'custom', path: ['frames'], message: sequence.reason });
      return;
    }
    m.frames.forEach((f, i) => {
      if (f.file !== frameFileName(i)) {
        ctx.addIssue({
          code: 'custom',
          path: ['frames', i, 'file'],
          message: `frames must be listed in order: expected ${frameFileName(i)}`,
        });
      }
    });
  });
export type ManifestV1 = z.infer<typeof manifestV1Schema>;

export type PublishFlag = typeof PUBLISH_FILE | typeof NOPUBLISH_FILE;

export function flagForPublish(publish: Publish): PublishFlag {
  return publish === 'public' ? PUBLISH_FILE : NOPUBLISH_FILE;
}

/** Reads the flag files present in a package directory; exactly one must exist. */
export function publishFromFlags(fileNames: readonly string[]): { ok: true; publish: Publish } | { ok: false; reason: string } {
  const pub = fileNames.includes(PUBLISH_FILE);
  const nopub = fileNames.includes(NOPUBLISH_FILE);
  if (pub && nopub) return { ok: false, reason: 'both PUBLISH and NOPUBLISH are present' };
  if (!pub && !nopub) return { ok: false, reason: 'neither PUBLISH nor NOPUBLISH is present' };
  return { ok: true, publish: pub ? 'public' : 'private' };
}

export function flagAgrees(
  manifest: Pick<ManifestV1, 'publish'>,
  fileNames: readonly string[],
): { ok: true } | { ok: false; reason: string } {
  const flags = publishFromFlags(fileNames);
  if (!flags.ok) return flags;
  if (flags.publish !== manifest.publish) {
    return { ok: false, reason: `manifest says "${manifest.publish}" but the flag file is ${flagForPublish(flags.publish)}` };
  }
  return { ok: true };
}

/**
 * A package as the processor works with it, whichever layout it came in. Width and
 * height are null for the original layout, which does not record them.
 */
export interface MoviePackage {
  layout: 'v1' | 'original';
  id: string;
  stationId: string;
  createdAt: string | null;
  finishedAt: string | null;
  fps: number;
  width: number | null;
  height: number | null;
  publish: Publish;
  title: string | null;
  locale: Locale | null;
  ownerKeyHash: string | null;
  /** A track id from the event's tracks.json, or null for a silent film. */
  soundtrack: string | null;
  frames: Array<{ file: string; sha256: string | null }>;
}

export const DEFAULT_FPS = 10;

export function packageFromManifest(m: ManifestV1): MoviePackage {
  return {
    layout: 'v1',
    id: m.id,
    stationId: m.stationId,
    createdAt: m.createdAt,
    finishedAt: m.finishedAt,
    fps: m.fps,
    width: m.width,
    height: m.height,
    publish: m.publish,
    title: m.title && m.title.length > 0 ? m.title : null,
    locale: m.locale ?? null,
    ownerKeyHash: m.ownerKeyHash ?? null,
    soundtrack: m.soundtrack ?? null,
    frames: m.frames.map((f) => ({ file: f.file, sha256: f.sha256 })),
  };
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Describes a zod error in one line fit for a log or a REASON file. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * The original layout: a directory named by the movie id holding frames and a
 * PUBLISH/NOPUBLISH flag, without a manifest. Non-frame files other than the flag
 * and DONE make it invalid, as would a gap in the numbering.
 */
export function packageFromOriginalLayout(input: {
  dirName: string;
  fileNames: readonly string[];
  stationId?: string;
  fps?: number;
}): ParseResult<MoviePackage> {
  const id = movieIdSchema.safeParse(input.dirName);
  if (!id.success) return { ok: false, reason: `package directory name is not a valid id: ${describeIssues(id.error)}` };
  const flags = publishFromFlags(input.fileNames);
  if (!flags.ok) return flags;
  const frameNames = input.fileNames.filter((n) => n !== PUBLISH_FILE && n !== NOPUBLISH_FILE && n !== DONE_FILE);
  if (frameNames.length === 0) return { ok: false, reason: 'the package has no frames' };
  if (frameNames.length > MAX_PACKAGE_FRAMES)
    return { ok: false, reason: `the package has ${frameNames.length} frames, more than ${MAX_PACKAGE_FRAMES}` };
  const sequence = checkFrameSequence(frameNames);
  if (!sequence.ok) return sequence;
  const stationId = stationIdSchema.safeParse(input.stationId ?? 'original');
  if (!stationId.success) return { ok: false, reason: 'station id is not valid' };
  return {
    ok: true,
    value: {
      layout: 'original',
      id: id.data,
      stationId: stationId.data,
      createdAt: null,
      finishedAt: null,
      fps: input.fps ?? DEFAULT_FPS,
      width: null,
      height: null,
      publish: flags.publish,
      title: null,
      locale: null,
      ownerKeyHash: null,
      soundtrack: null,
      frames: sequence.frames.map((file) => ({ file, sha256: null })),
    },
  };
}

/** Parses manifest.json text, checking the directory name matches the id inside. */
export function parseManifest(text: string, dirName?: string): ParseResult<ManifestV1> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `manifest.json is not valid JSON: ${(err as Error).message}` };
  }
  const parsed = manifestV1Schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `manifest.json is invalid: ${describeIssues(parsed.error)}` };
  if (dirName !== undefined && parsed.data.id !== dirName) {
    return { ok: false, reason: `manifest id ${parsed.data.id} does not match directory ${JSON.stringify(dirName.slice(0, 80))}` };
  }
  return { ok: true, value: parsed.data };
}
