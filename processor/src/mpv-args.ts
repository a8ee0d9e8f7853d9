// mpv's command line for the big screen, on its own so options (sound, volume, output) are changed in one place.

export interface MpvArgsOptions {
  socket: string;
  fullscreen: boolean;
  extraArgs: readonly string[];
}

/** mpv for the big screen: idle between films, looping the playlist, no on-screen controls. */
export function buildMpvArgs(o: MpvArgsOptions): string[] {
  return [
    '--idle=yes',
    `--input-ipc-server=${o.socket}`,
    '--loop-playlist=inf',
    ...(o.fullscreen ? ['--fullscreen'] : []),
    '--no-osc',
    '--osd-level=0',
    '--prefetch-playlist=yes',
    '--image-display-duration=inf',
    '--no-terminal',
    '--no-input-default-bindings',
    '--hwdec=auto-safe',
    ...o.extraArgs,
  ];
}
