// mpv as a child of ours: started so that it dies with the processor, the tail of its
// stderr kept as the reason it exited, and stopped with TERM, then KILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { withParentDeathSignal } from './args.js';
import { SETPRIV } from './ffmpeg.js';

export interface MpvChild {
  child: ChildProcess;
  /** The end of what mpv wrote to stderr (its last 2000 characters), trimmed. */
  lastWords(): string;
}

/** Spawns mpv with `args` (no shell); a restarted processor starts a fresh mpv, and nothing lingers. */
export function spawnMpvChild(args: string[]): MpvChild {
  const [file, argv] = withParentDeathSignal('mpv', args, SETPRIV, 'TERM');
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => {
    tail = (tail + c).slice(-2000);
  });
  return { child, lastWords: () => tail.trim() };
}

export function isRunning(child: ChildProcess | null): child is ChildProcess {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

/** Resolves once mpv has opened its IPC socket; throws with mpv's last words if it exits first, or after `timeoutMs`. */
export async function waitForSocket({ child, lastWords }: MpvChild, socket: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(socket)) {
    if (!isRunning(child)) throw new Error(`mpv exited at start: ${lastWords()}`);
    if (Date.now() > deadline) throw new Error('mpv did not open its IPC socket');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** TERM, then KILL after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess | null, graceMs = 3000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
