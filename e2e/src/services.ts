import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canConnect, freePort } from './harness/ports.js';
import { type ManagedProcess, spawnManaged, waitFor } from './harness/process.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type ServiceName = 'station-server' | 'processor' | 'gallery';

/** One of the project's own services, run as a real child process from its sources. */
export interface ServiceProcess {
  readonly label: string;
  readonly url: string;
  readonly port: number;
  readonly env: Record<string, string>;
  running(): boolean;
  /** The process id while it runs (to send it SIGSTOP, for one). */
  pid(): number | undefined;
  /** SIGTERM and wait, as systemd stops a unit. */
  stop(): Promise<void>;
  /** SIGKILL, as a power cut or the OOM killer would. */
  kill(): Promise<void>;
  /** Starts it again with the same environment (after stop or kill). */
  start(): Promise<void>;
  output(): string;
}

/** A port that is free now: the preferred one when nothing listens there, else any. */
export async function portNear(preferred: number | undefined): Promise<number> {
  if (preferred !== undefined && !(await canConnect(preferred))) return preferred;
  return freePort();
}

export async function startService(opts: {
  service: ServiceName;
  label: string;
  port: number;
  /** The address it listens on (its URL's host); default loopback. */
  host?: string;
  env: Record<string, string>;
  onLine?: (label: string, line: string) => void;
  readyTimeoutMs?: number;
}): Promise<ServiceProcess> {
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${opts.port}`;
  let proc: ManagedProcess | undefined;
  const start = async () => {
    const p = spawnManaged({
      name: opts.label,
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, opts.service, 'src', 'main.ts')],
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
      keepLines: 200,
      ...(opts.onLine ? { onLine: (line: string) => opts.onLine?.(opts.label, line) } : {}),
    });
    proc = p;
    await waitFor(
      `${opts.label} /healthz`,
      async () => {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 30_000, intervalMs: 100, failIf: () => (p.running() ? undefined : `exited:\n${p.output()}`) },
    );
  };
  await start();
  return {
    label: opts.label,
    url,
    port: opts.port,
    env: opts.env,
    running: () => proc?.running() ?? false,
    pid: () => (proc?.running() ? proc.child.pid : undefined),
    stop: async () => proc?.stop(10_000),
    kill: async () => proc?.kill(),
    start,
    output: () => proc?.output() ?? '',
  };
}
