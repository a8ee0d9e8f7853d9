import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Every child a harness starts is tracked here so that it is ended when the test
 * process exits, even when a test fails before its own cleanup runs.
 */
const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // A program with its own handler (the demo) stops its children gracefully.
      if (process.listenerCount(signal) > 1) return;
      process.off(signal, onSignal);
      killAll();
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Last lines the process wrote, for error messages. */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: the fault a power cut or the OOM killer causes. */
  kill(): Promise<void>;
  running(): boolean;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each line of stdout and stderr. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Kept lines of output. */
  keepLines?: number;
}

/** Spawns a program without a shell and keeps it on the cleanup list. */
export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  hookExit();
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  const keep = opts.keepLines ?? 50;
  const collect = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    return (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > keep) lines.shift();
        opts.onLine?.(line, stream);
      }
    };
  };
  child.stdout?.on('data', collect('stdout'));
  child.stderr?.on('data', collect('stderr'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      lines.push(`spawn error: ${err.message}`);
      live.delete(child);
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined && live.has(child);
  return {
    name: opts.name,
    child,
    exited,
    output: () => lines.join('\n'),
    running,
    async stop(graceMs = 5000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, null or false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number; failIf?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    const failure = opts.failIf?.();
    if (failure) throw new Error(`${what}: ${failure}`);
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/**
 * SIGSTOP, then wait until every thread of the process is stopped. kill() returns before
 * the stop takes effect: one thread takes the signal and stops the others when it is next
 * scheduled, and on a busy machine another thread (mpv's IPC thread, for one) can still
 * answer a request meanwhile. A test of "a stopped peer" starts once the peer is stopped.
 */
export async function freeze(pid: number, timeoutMs = 5000): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(`process ${pid} stopped`, () => allThreadsStopped(pid), {
    timeoutMs,
    intervalMs: 5,
    failIf: () => (existsSync(`/proc/${pid}`) ? undefined : 'the process is gone'),
  });
}

/** SIGCONT; a process that is gone already is not an error. */
export function thaw(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((tid) => {
    try {
      // The state follows the command name in parentheses, which may itself hold spaces.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't' || state === 'Z' || state === 'X';
    } catch {
      return true; // The thread has exited.
    }
  });
}
