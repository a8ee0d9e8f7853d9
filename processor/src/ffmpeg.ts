import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { withParentDeathSignal } from './args.js';
import { toolCommand } from './scheduling.js';

/** util-linux setpriv, when installed: children then die with the processor instead of lingering. */
export const SETPRIV: string | null = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;

export interface FfmpegProgress {
  /** Frames written to the first output so far. */
  frame: number;
  outTimeUs: number;
  speed: number | null;
  done: boolean;
}

/** Accumulates `-progress pipe:1` key=value lines; returns a record on each `progress=` line. */
export class ProgressParser {
  private current: Record<string, string> = {};
  private partial = '';

  push(chunk: string): FfmpegProgress[] {
    this.partial += chunk;
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    const out: FfmpegProgress[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      if (key === 'progress') {
        out.push(parseProgressBlock(this.current, value === 'end'));
        this.current = {};
      } else {
        this.current[key] = value;
      }
    }
    return out;
  }
}

export function parseProgressBlock(block: Record<string, string>, done: boolean): FfmpegProgress {
  const num = (v: string | undefined) => {
    if (v === undefined) return Number.NaN;
    const n = Number.parseFloat(v);
    return Number.isFinite(n) ? n : Number.NaN;
  };
  const frame = num(block.frame);
  const outTimeUs = num(block.out_time_us ?? block.out_time_ms);
  const speed = num(block.speed?.replace(/x$/, ''));
  return {
    frame: Number.isNaN(frame) ? 0 : frame,
    outTimeUs: Number.isNaN(outTimeUs) ? 0 : outTimeUs,
    speed: Number.isNaN(speed) ? null : speed,
    done,
  };
}

export class ToolError extends Error {
  constructor(
    message: string,
    readonly kind: 'exit' | 'timeout' | 'aborted' | 'spawn',
    readonly stderrTail: string,
    readonly exitCode: number | null = null,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

export interface RunOptions {
  /** Kills the tool after this long. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Niceness for the child (0 = unchanged): renders must not starve the big screen. */
  nice?: number | undefined;
  onProgress?: ((p: FfmpegProgress) => void) | undefined;
  /** Lines of stderr kept for the error message. */
  keepLines?: number | undefined;
  /** Called with the pid right after spawn (benchmarks sample its memory). */
  onSpawn?: ((pid: number) => void) | undefined;
}

export interface RunResult {
  stdout: string;
  stderrTail: string;
}

/**
 * Runs ffmpeg/ffprobe from an argument array, never through a shell. stdout is
 * collected (it carries `-progress` or ffprobe's JSON), stderr only its last lines.
 */
export function runTool(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ToolError(`${command} aborted before start`, 'aborted', ''));
      return;
    }
    const [file, argv] = toolCommand(withParentDeathSignal(command, args, SETPRIV));
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) {
      if (opts.nice) {
        try {
          os.setPriority(child.pid, opts.nice);
        } catch {
          // A vanished child or a refused priority change must not fail the render.
        }
      }
      opts.onSpawn?.(child.pid);
    }
    const keep = opts.keepLines ?? 20;
    const tail: string[] = [];
    let stderrPartial = '';
    const stdoutChunks: string[] = [];
    const parser = opts.onProgress ? new ProgressParser() : null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (parser && opts.onProgress) {
        for (const p of parser.push(chunk)) opts.onProgress(p);
      } else {
        stdoutChunks.push(chunk);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrPartial += chunk;
      const lines = stderrPartial.split(/\r?\n|\r/);
      stderrPartial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
        if (tail.length > keep) tail.shift();
      }
      if (stderrPartial.length > 4000) stderrPartial = stderrPartial.slice(-4000);
    });
    let ended: 'timeout' | 'aborted' | null = null;
    const kill = (why: 'timeout' | 'aborted') => {
      if (ended) return;
      ended = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), opts.timeoutMs);
    const onAbort = () => kill('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const tailText = () => [...tail, stderrPartial.trim()].filter(Boolean).join('\n');
    child.once('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new ToolError(`${command} could not start: ${err.message}`, 'spawn', ''));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stderrTail = tailText();
      if (ended === 'timeout') {
        reject(new ToolError(`${command} timed out after ${opts.timeoutMs} ms`, 'timeout', stderrTail));
      } else if (ended === 'aborted') {
        reject(new ToolError(`${command} was stopped`, 'aborted', stderrTail));
      } else if (code !== 0) {
        const last = tail.at(-1) ?? 'no output';
        reject(new ToolError(`${command} exited with code ${code}: ${last}`, 'exit', stderrTail, code));
      } else {
        resolve({ stdout: stdoutChunks.join(''), stderrTail });
      }
    });
  });
}
