import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { runTool, ToolError } from '../src/ffmpeg.js';
import { startProcessor } from '../src/index.js';
import { applyToolScheduling, CHRT, scheduledCommand } from '../src/scheduling.js';

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** Fields of /proc/<pid>[/task/<tid>]/stat after the command name, numbered as in proc(5). */
async function statFields(file: string): Promise<Map<number, string>> {
  const stat = await readFile(file, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return new Map(rest.map((v, i) => [i + 3, v]));
}

/**
 * Policy and niceness of the threads of a running ffmpeg started through runTool: all of them
 * once its encoder and filter threads are started, or (`mainOnly`) its main thread as soon as
 * it is ffmpeg. A SCHED_IDLE process beside busy cores gets almost no CPU, so starting its
 * threads can take longer than a test; the class is set before exec and is already there.
 */
async function runningFfmpeg(
  opts: { mainOnly?: boolean } = {},
): Promise<{ threads: Array<{ policy: number; nice: number }>; stop(): Promise<void> }> {
  const abort = new AbortController();
  let pid = 0;
  // Real time input: ffmpeg runs until stopped, with its encoder and filter threads started.
  const run = runTool(
    'ffmpeg',
    [
      '-hide_banner',
      '-v',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=10',
      '-c:v',
      'libx264',
      '-threads',
      '2',
      '-f',
      'null',
      '-',
    ],
    {
      timeoutMs: 120_000,
      nice: 10,
      signal: abort.signal,
      onSpawn: (p) => {
        pid = p;
      },
    },
  ).catch((err: unknown) => err);
  const threads = await waitFor(
    'ffmpeg running with its threads',
    async () => {
      if (!pid) return undefined;
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
      if (comm !== 'ffmpeg') return undefined;
      const tids = opts.mainOnly ? [String(pid)] : await readdir(`/proc/${pid}/task`).catch(() => []);
      if (!opts.mainOnly && tids.length < 2) return undefined;
      const out = [];
      for (const tid of tids) {
        const f = await statFields(`/proc/${pid}/task/${tid}/stat`).catch(() => null);
        if (f) out.push({ policy: Number(f.get(41)), nice: Number(f.get(19)) });
      }
      return out;
    },
    { timeoutMs: 110_000, intervalMs: 20 },
  );
  return {
    threads,
    async stop() {
      abort.abort();
      const err = await run;
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).kind).toBe('aborted');
    },
  };
}

function recorder() {
  const lines: Array<{ level: string; obj: Record<string, unknown> }> = [];
  return {
    lines,
    info: (obj: Record<string, unknown>) => lines.push({ level: 'info', obj }),
    warn: (obj: Record<string, unknown>) => lines.push({ level: 'warn', obj }),
  };
}

describe('render scheduling beside mpv', () => {
  afterEach(async () => {
    await applyToolScheduling('nice', recorder() as never);
  });

  it('idle wraps the tool in chrt --idle 0 (which execs it: same pid); nice leaves it alone', () => {
    expect(scheduledCommand('idle', '/usr/bin/chrt', 'ffmpeg', ['-i', 'x'])).toEqual([
      '/usr/bin/chrt',
      ['--idle', '0', 'ffmpeg', '-i', 'x'],
    ]);
    expect(scheduledCommand('nice', '/usr/bin/chrt', 'ffmpeg', ['-i', 'x'])).toEqual(['ffmpeg', ['-i', 'x']]);
    expect(scheduledCommand('idle', null, 'ffmpeg', ['-i', 'x'])).toEqual(['ffmpeg', ['-i', 'x']]);
  });

  // Beside busy cores, an idle-class ffmpeg takes tens of seconds to start its threads.
  it('idle: every thread of the real ffmpeg runs in SCHED_IDLE, and still at RENDER_NICE', async () => {
    expect(CHRT, 'util-linux chrt is installed here').not.toBeNull();
    const log = recorder();
    expect(await applyToolScheduling('idle', log as never)).toBe('idle');
    expect(log.lines.map((l) => l.obj.event)).toEqual(['render.scheduling']);
    const ff = await runningFfmpeg();
    try {
      expect(ff.threads.length).toBeGreaterThan(1);
      for (const t of ff.threads) expect(t).toEqual({ policy: SCHED_IDLE, nice: 10 });
    } finally {
      await ff.stop();
    }
  }, 120_000);

  it('nice: the real ffmpeg stays in the normal class at RENDER_NICE', async () => {
    expect(await applyToolScheduling('nice', recorder() as never)).toBe('nice');
    const ff = await runningFfmpeg();
    try {
      expect(ff.threads[0]).toEqual({ policy: SCHED_OTHER, nice: 10 });
    } finally {
      await ff.stop();
    }
  });

  it('without chrt, or where the class is refused, renders fall back to nice with the reason logged', async () => {
    const missing = recorder();
    expect(await applyToolScheduling('idle', missing as never, null)).toBe('nice');
    expect(missing.lines).toEqual([
      { level: 'warn', obj: { event: 'render.scheduling_fallback', reason: 'chrt (util-linux) is not installed' } },
    ]);
    // chrt exits 1 when sched_setscheduler is refused (EPERM under a seccomp filter); /bin/false does the same.
    const refused = recorder();
    expect(await applyToolScheduling('idle', refused as never, '/bin/false')).toBe('nice');
    expect(refused.lines[0]?.obj.reason).toMatch(/^\/bin\/false --idle 0 failed/);
    // And the tools still run: not wrapped in the refusing program.
    const ff = await runningFfmpeg();
    try {
      expect(ff.threads[0]?.policy).toBe(SCHED_OTHER);
    } finally {
      await ff.stop();
    }
  });

  it('RENDER_SCHEDULING=idle reaches the processor: it says so at start and its ffmpeg runs in SCHED_IDLE', async () => {
    const dir = await tempDir('proc-scheduling');
    const logs: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      RENDER_SCHEDULING: 'idle',
    });
    expect(config.renderScheduling).toBe('idle');
    const p = await startProcessor(config, { logger: pino({ level: 'info' }, sink) });
    try {
      expect(logs.find((l) => l.event === 'render.scheduling')).toMatchObject({ mode: 'idle' });
      const ff = await runningFfmpeg({ mainOnly: true });
      try {
        expect(ff.threads).toHaveLength(1);
        expect(ff.threads[0]?.policy).toBe(SCHED_IDLE);
      } finally {
        await ff.stop();
      }
    } finally {
      await p.close();
      await dir.remove();
    }
  });
});
