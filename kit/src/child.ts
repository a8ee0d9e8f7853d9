import { type ChildProcess, spawn } from 'node:child_process';

/** Why a program gave no usable result. */
export type ChildFailure = 'missing' | 'spawn' | 'deadline' | 'aborted' | 'output' | 'exit';

export interface RunOptions {
  /** The kill deadline: past it the program gets SIGTERM, then SIGKILL after `graceMs`. */
  timeoutMs: number;
  /** From SIGTERM to SIGKILL; 2 s unless told. */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborting it kills the program the same way (the service is stopping). */
  signal?: AbortSignal;
  /** Written to the program's stdin, which is closed after it (no input: stdin is /dev/null). */
  input?: string | Uint8Array;
  /** More stdout than this kills the program and fails: a cut-off answer is never taken for a whole one. 1 MiB unless told. */
  maxStdoutBytes?: number;
  /** How much of the end of stderr is kept (for the error and the caller). 4000 characters unless told. */
  stderrTailChars?: number;
  /** Whether an exit other than 0 (or death by a signal) rejects; true unless told. With false the caller reads `code`. */
  check?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stdoutBytes: Buffer;
  /** The end of stderr (`stderrTailChars`). */
  stderr: string;
}

/** A program that could not run, did not finish in time, or failed; the message says which, with its stderr's end. */
export class ChildError extends Error {
  constructor(
    readonly program: string,
    readonly reason: ChildFailure,
    message: string,
    readonly code: number | null = null,
    readonly signal: NodeJS.Signals | null = null,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'ChildError';
  }
}

const DEFAULT_GRACE_MS = 2000;
const DEFAULT_MAX_STDOUT = 1024 * 1024;
const DEFAULT_STDERR_TAIL = 4000;
/** How long the pipes may stay open after the program exited (a grandchild holding them) before they are cut. */
const PIPE_LINGER_MS = 1000;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
/** The last line or two of stderr, for a message that stays one line. */
export function stderrTail(stderr: string, chars = 300): string {
  const t = stderr.trim().replace(/\s*\n\s*/g, ' | ');
  return t.length > chars ? `…${t.slice(-chars)}` : t;
}
const withTail = (message: string, stderr: string) => {
  const tail = stderrTail(stderr);
  return tail ? `${message}: ${tail}` : message;
};

/**
 * Runs one program to its end: from an argument array, never through a shell, with a
 * kill deadline that holds also for a program stopped with SIGSTOP (SIGTERM and
 * SIGCONT so it can exit cleanly, SIGKILL after the grace), stdout collected up to a
 * cap, and the end of stderr kept. A program that is not installed is a ChildError
 * with reason `missing`, never a hang.
 */
export function runProgram(program: string, args: readonly string[], o: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new ChildError(program, 'aborted', `${program} was not started: the service is stopping`));
      return;
    }
    const maxStdout = o.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
    const tailChars = o.stderrTailChars ?? DEFAULT_STDERR_TAIL;
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: o.env ?? process.env,
        ...(o.cwd ? { cwd: o.cwd } : {}),
      });
    } catch (err) {
      // Invalid arguments (a NUL byte in one) throw here rather than emit 'error'.
      reject(new ChildError(program, 'spawn', `${program} could not start: ${(err as Error).message}`));
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: { reason: ChildFailure; message: string } | null = null;
    let settled = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: NodeJS.Timeout[] = [];

    const stop = (reason: ChildFailure, message: string) => {
      if (failure || exited) return;
      failure = { reason, message };
      child.kill('SIGTERM');
      // A stopped program keeps SIGTERM pending until it runs again.
      child.kill('SIGCONT');
      timers.push(setTimeout(() => child.kill('SIGKILL'), o.graceMs ?? DEFAULT_GRACE_MS));
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      const code = exited?.code ?? null;
      const signal = exited?.signal ?? null;
      if (failure) {
        const how = signal ? ` (ended by ${signal})` : '';
        reject(new ChildError(program, failure.reason, withTail(`${failure.message}${how}`, stderr), code, signal, stderr));
        return;
      }
      const stdoutBytes = Buffer.concat(out);
      const result: RunResult = { code, signal, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr };
      if (o.check !== false && code !== 0) {
        const what = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new ChildError(program, 'exit', withTail(`${program} ${what}`, stderr), code, signal, stderr));
        return;
      }
      resolve(result);
    };

    child.stdout?.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > maxStdout) stop('output', `${program} wrote more than ${maxStdout} bytes to stdout`);
      else out.push(c);
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-tailChars);
    });
    if (o.input !== undefined && child.stdin) {
      // A program that exits without reading its input is not an error of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.input);
    }
    timers.push(setTimeout(() => stop('deadline', `${program} did not finish within ${seconds(o.timeoutMs)}`), o.timeoutMs));
    const onAbort = () => stop('aborted', `${program} was stopped: the service is stopping`);
    o.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('error', (err: NodeJS.ErrnoException) => {
      // Emitted when spawning failed (no 'exit' follows), or when a kill could not be sent.
      if (exited || child.pid !== undefined) return;
      failure ??=
        err.code === 'ENOENT'
          ? { reason: 'missing', message: `${program} is not installed (not found${program.includes('/') ? '' : ' on PATH'})` }
          : { reason: 'spawn', message: `${program} could not start: ${err.message}` };
      finish();
    });
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      // Pipes still open after the exit belong to a grandchild; they are cut shortly after.
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, PIPE_LINGER_MS),
      );
    });
    // After 'exit', once the pipes are drained.
    child.once('close', () => {
      if (exited) finish();
    });
  });
}
