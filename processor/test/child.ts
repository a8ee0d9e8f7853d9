import { fileURLToPath } from 'node:url';
import { type ManagedProcess, spawnManaged, waitFor } from '@stop-motion/e2e';
import type { ProcessorStatus } from '@stop-motion/protocol';
import { fetchStatus } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ProcessorChild {
  proc: ManagedProcess;
  url: string;
  /** Parsed JSON log lines, oldest first. */
  logs: Array<Record<string, unknown>>;
}

/** The processor as systemd runs it: its own process, killable with SIGKILL. */
export async function startProcessorChild(
  env: Record<string, string>,
  opts: { /** A program that runs the processor, e.g. `taskset -c 0` (benchmarks). */ wrap?: string[] } = {},
): Promise<ProcessorChild> {
  const logs: Array<Record<string, unknown>> = [];
  let url: string | undefined;
  const proc = spawnManaged({
    name: 'processor',
    command: opts.wrap?.[0] ?? process.execPath,
    args: [
      ...(opts.wrap ? [...opts.wrap.slice(1), process.execPath] : []),
      '--conditions=source',
      '--import',
      'tsx',
      'processor/src/main.ts',
    ],
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', PROCESSOR_PORT: '0', ...env },
    keepLines: 200,
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.event === 'service.listening' && typeof entry.url === 'string') url = entry.url;
      } catch {
        // not a log line
      }
    },
  });
  await waitFor('processor to listen', () => url, {
    timeoutMs: 30_000,
    failIf: () => (proc.running() ? undefined : `processor exited: ${proc.output()}`),
  });
  return { proc, url: url as string, logs };
}

export const getStatus = (url: string): Promise<ProcessorStatus> => fetchStatus(url);
