// mpv's command line for the big screen, on its own so options (sound, volume, output) are changed in one place.

import type { SoundSetting } from './screen-sound.js';

export interface MpvArgsOptions {
  socket: string;
  fullscreen: boolean;
  extraArgs: readonly string[];
  /** The operator's volume and mute at start; changed live over IPC afterwards. */
  sound?: SoundSetting;
}

/** mpv for the big screen: idle between films, looping the playlist, no on-screen controls. */
export function buildMpvArgs(options: MpvArgsOptions): string[] {
  return [
    '--idle=yes',
    `--input-ipc-server=${options.socket}`,
    '--loop-playlist=inf',
    ...(options.fullscreen ? ['--fullscreen'] : []),
    '--no-osc',
    '--osd-level=0',
    '--prefetch-playlist=yes',
    '--image-display-duration=inf',
    '--no-terminal',
    '--no-input-default-bindings',
    '--hwdec=auto-safe',
    // The film's soundtrack plays; volume 100 is the film as mixed, never amplified.
    '--aid=auto',
    '--volume-max=100',
    ...(options.sound ? [`--volume=${options.sound.volume}`, `--mute=${options.sound.mute ? 'yes' : 'no'}`] : []),
    ...options.extraArgs,
  ];
}
