import { type RunResult, runProgram } from '@stop-motion/kit';

export type ChildResult = Pick<RunResult, 'code' | 'stdout' | 'stderr'>;

/**
 * The printer's programs (lp, lpstat, ffmpeg for the ticket) through kit's runner: no
 * shell, killed at `timeoutMs` even when stopped with SIGSTOP, a missing program a
 * reason. The printer reads the exit code itself (lpstat says "no such queue" with one).
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<ChildResult> {
  return runProgram(command, args, { ...options, check: false });
}
