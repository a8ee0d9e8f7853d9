/** Runs `command` so the kernel ends it when the processor dies (setpriv --pdeathsig), when setpriv exists. */
export function withParentDeathSignal(
  command: string,
  args: readonly string[],
  setpriv: string | null,
  signal = 'KILL',
): [string, string[]] {
  if (!setpriv) return [command, [...args]];
  return [setpriv, ['--pdeathsig', signal, '--', command, ...args]];
}

/** How every ffmpeg the processor runs starts: no banner, no stdin, overwrite, errors only on stderr. */
export const FFMPEG_QUIET = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'] as const;
