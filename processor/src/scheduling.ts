// How the processor's ffmpeg runs beside mpv: the big screen gets the CPU first.
//
// `idle` starts every ffmpeg under Linux's SCHED_IDLE class (`chrt --idle 0`, util-linux, no
// privilege needed): it runs on whatever CPU mpv and the rest leave, and on all of it when they
// sleep, so the render is not slowed on an otherwise quiet processing unit. `nice` only lowers
// the niceness (RENDER_NICE), which still gives the render a share beside a busy mpv.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Logger } from './log.js';

export const RENDER_SCHEDULING = ['idle', 'nice'] as const;
export type RenderScheduling = (typeof RENDER_SCHEDULING)[number];
/** Chosen from the playback bench (processor README): idle dropped no fewer frames than nice and lost a film under other load. */
export const DEFAULT_RENDER_SCHEDULING: RenderScheduling = 'nice';

export const CHRT: string | null = ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p)) ?? null;

/** `command args` as started under `mode`; chrt execs the command, so the pid stays the tool's. */
export function scheduledCommand(
  mode: RenderScheduling,
  chrt: string | null,
  command: string,
  args: readonly string[],
): [string, string[]] {
  if (mode !== 'idle' || !chrt) return [command, [...args]];
  return [chrt, ['--idle', '0', command, ...args]];
}

// Process-wide, set once at start: every ffmpeg/ffprobe of the processor is render work.
let active: { mode: RenderScheduling; chrt: string | null } = { mode: 'nice', chrt: null };

/** Wraps a tool's command line in the scheduling chosen by applyToolScheduling. */
export function toolCommand([command, args]: [string, string[]]): [string, string[]] {
  return scheduledCommand(active.mode, active.chrt, command, args);
}

/**
 * Chooses how tools run from now on. `idle` is tried once (`chrt --idle 0 true`): without chrt,
 * or where the kernel or a sandbox refuses the class, tools run under `nice` only and the reason
 * is logged, so a render never fails for want of a scheduling class. Returns the mode in effect.
 */
export async function applyToolScheduling(
  mode: RenderScheduling,
  log: Pick<Logger, 'info' | 'warn'>,
  chrt: string | null = CHRT,
): Promise<RenderScheduling> {
  if (mode === 'nice') {
    active = { mode, chrt: null };
    return mode;
  }
  const refused = chrt ? await tryChrt(chrt) : 'chrt (util-linux) is not installed';
  if (refused) {
    log.warn({ event: 'render.scheduling_fallback', reason: refused }, 'renders run under nice only');
    active = { mode: 'nice', chrt: null };
    return 'nice';
  }
  active = { mode, chrt };
  log.info({ event: 'render.scheduling', mode, chrt }, 'renders run in the idle scheduling class');
  return mode;
}

function tryChrt(chrt: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(chrt, ['--idle', '0', 'true'], { timeout: 5000 }, (err, _stdout, stderr) => {
      resolve(err ? `${chrt} --idle 0 failed: ${stderr.trim() || err.message}` : null);
    });
  });
}
