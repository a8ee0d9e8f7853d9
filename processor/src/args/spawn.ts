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
