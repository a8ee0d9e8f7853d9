/**
 * Frame file rules shared by the station (which writes them), the processor (which
 * trusts nothing it receives) and tests: `0000.jpg`, `0001.jpg`, … — at least four
 * digits, contiguous from zero, nothing else.
 */
export const FRAME_NAME_PATTERN = /^\d{4,9}\.jpg$/;

export function isFrameFileName(name: string): boolean {
  return FRAME_NAME_PATTERN.test(name);
}

export function frameFileName(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 999_999_999) {
    throw new RangeError(`frame index out of range: ${index}`);
  }
  return `${String(index).padStart(4, '0')}.jpg`;
}

/** The index of a frame file, or null when the name is not a frame file name. */
export function frameIndex(name: string): number | null {
  if (!isFrameFileName(name)) return null;
  // Stryker disable next-line MethodExpression: parseInt stops at the ".jpg" by itself; the slice states the intent
  return Number.parseInt(name.slice(0, -4), 10);
}

export type FrameSequenceResult = { ok: true; frames: string[] } | { ok: false; reason: string };

/**
 * Orders frame file names and checks that they are exactly 0..n-1, each written the
 * canonical way (`0007.jpg`, not `007.jpg` or `00007.jpg`).
 */
export function checkFrameSequence(names: readonly string[]): FrameSequenceResult {
  const indexed: Array<{ name: string; index: number }> = [];
  for (const name of names) {
    const index = frameIndex(name);
    if (index === null) return { ok: false, reason: `not a frame file name: ${JSON.stringify(name.slice(0, 80))}` };
    if (frameFileName(index) !== name) return { ok: false, reason: `frame name is not canonical: ${name}` };
    indexed.push({ name, index });
  }
  indexed.sort((a, b) => a.index - b.index);
  for (let i = 0; i < indexed.length; i++) {
    const entry = indexed[i];
    if (entry === undefined) break;
    if (entry.index !== i) {
      return entry.index < i
        ? { ok: false, reason: `frame ${entry.name} appears twice` }
        : { ok: false, reason: `frames are not contiguous: ${frameFileName(i)} is missing` };
    }
  }
  return { ok: true, frames: indexed.map((f) => f.name) };
}
