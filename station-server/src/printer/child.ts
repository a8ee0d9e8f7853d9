import { spawn } from 'node:child_process';

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program from an argument array (never a shell) and collects its output. A
 * program that does not finish within `timeoutMs` — hung on a dead socket, or stopped
 * with SIGSTOP — is killed with SIGKILL and the promise rejects with that reason.
 */
export function runChild(
  command: string,
  args: readonly string[],
  o: { timeoutMs: number; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new Error(`${command} was not started: stopping`));
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let failure: Error | null = null;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (stdout.length < 256 * 1024) stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-4000);
    });
    const kill = (why: string) => {
      failure ??= new Error(why);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`${command} did not finish within ${Math.round(o.timeoutMs / 100) / 10} s`), o.timeoutMs);
    const onAbort = () => kill(`${command} was stopped: the station is stopping`);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      failure ??= err;
    });
    // 'close' comes after 'error' too, once the pipes are drained.
    child.once('close', (code) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve({ code, stdout, stderr });
    });
  });
}
