import { access } from 'node:fs/promises';
import {
  buildEncoderTestArgs,
  buildListEncodersArgs,
  DEFAULT_VAAPI_DEVICE,
  type EncoderSettings,
  parseEncoderList,
  type VideoEncoder,
} from './args.js';
import { runTool } from './ffmpeg.js';
import { errorMessage } from './files.js';

export type EncoderChoice = 'auto' | VideoEncoder;

export interface EncoderDecision {
  kind: VideoEncoder;
  /** Why each hardware encoder was passed over (auto), empty when one was chosen. */
  reasons: string[];
}

/** The hardware encoders `auto` tries, in order: VAAPI (Intel/AMD mini-PCs), then V4L2 mem2mem (Raspberry Pi 4 and other SoCs). */
export const AUTO_CANDIDATES: readonly VideoEncoder[] = ['h264_vaapi', 'h264_v4l2m2m'];

const LIST_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 15_000;

/** Does `kind` really encode on this machine: listed by ffmpeg, its device present, and a tiny test encode succeeds in time. */
export async function testEncoder(
  kind: VideoEncoder,
  opts: { vaapiDevice?: string | undefined; nice?: number | undefined; listed?: Set<string> },
): Promise<string | null> {
  const listed = opts.listed ?? (await listEncoders(opts.nice));
  if (!listed.has(kind)) return `${kind} is not in this ffmpeg build`;
  if (kind === 'h264_vaapi') {
    const device = opts.vaapiDevice ?? DEFAULT_VAAPI_DEVICE;
    try {
      await access(device);
    } catch {
      return `${kind}: no render device ${device}`;
    }
  }
  const settings: EncoderSettings = { kind, preset: 'veryfast', crf: 23, threads: 1, vaapiDevice: opts.vaapiDevice };
  try {
    await runTool('ffmpeg', buildEncoderTestArgs(settings), { timeoutMs: TEST_TIMEOUT_MS, nice: opts.nice });
    return null;
  } catch (err) {
    return `${kind}: test encode failed: ${errorMessage(err)}`;
  }
}

async function listEncoders(nice?: number): Promise<Set<string>> {
  try {
    const { stdout } = await runTool('ffmpeg', buildListEncodersArgs(), { timeoutMs: LIST_TIMEOUT_MS, nice });
    return parseEncoderList(stdout);
  } catch {
    return new Set();
  }
}

const cache = new Map<string, Promise<EncoderDecision>>();

/**
 * The encoder a film is made with. `libx264` and a named hardware encoder are taken as
 * they are (a hardware one that fails is replaced by libx264 for that film, see render.ts);
 * `auto` probes the hardware encoders once per process and device and falls back to libx264.
 */
export function resolveEncoder(
  choice: EncoderChoice,
  opts: { vaapiDevice?: string | undefined; nice?: number | undefined; onProbed?: (d: EncoderDecision) => void } = {},
): Promise<EncoderDecision> {
  if (choice !== 'auto') return Promise.resolve({ kind: choice, reasons: [] });
  const key = opts.vaapiDevice ?? DEFAULT_VAAPI_DEVICE;
  let decision = cache.get(key);
  if (!decision) {
    decision = (async () => {
      const listed = await listEncoders(opts.nice);
      const reasons: string[] = [];
      let chosen: VideoEncoder = 'libx264';
      for (const kind of AUTO_CANDIDATES) {
        const why = await testEncoder(kind, { vaapiDevice: opts.vaapiDevice, nice: opts.nice, listed });
        if (why === null) {
          chosen = kind;
          break;
        }
        reasons.push(why);
      }
      const d: EncoderDecision = { kind: chosen, reasons };
      opts.onProbed?.(d);
      return d;
    })();
    cache.set(key, decision);
  }
  return decision;
}

/** Forgets the probed result (tests). */
export function forgetEncoderProbe(): void {
  cache.clear();
}
