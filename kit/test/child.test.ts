import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChildError, runProgram } from '../src/child.js';

/** The state letter of a process in /proc (T: stopped), or null once it is gone. */
function procState(pid: number): string | null {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The pids of this process's children that run `program`. */
function childrenRunning(program: string): number[] {
  const out = spawnSync('pgrep', ['-P', String(process.pid), '-x', program], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`never happened: ${what}`);
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('it succeeded');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(ChildError);
      return err as ChildError;
    },
  );

describe('runProgram', () => {
  it('collects stdout and the stderr of a real program, and feeds it input', async () => {
    const r = await runProgram('cat', [], { timeoutMs: 10_000, input: 'frame 1\nframe 2\n' });
    expect(r).toMatchObject({ code: 0, signal: null, stdout: 'frame 1\nframe 2\n', stderr: '' });
    expect(r.stdoutBytes.equals(Buffer.from('frame 1\nframe 2\n'))).toBe(true);
  });

  it('passes arguments as they are, never through a shell', async () => {
    const r = await runProgram('printf', ['%s|', '$(id)', '; echo x', '*'], { timeoutMs: 10_000 });
    expect(r.stdout).toBe('$(id)|; echo x|*|');
  });

  it('rejects a failed exit with the program, its code and the end of its stderr; check:false hands the code back', async () => {
    const err = await failure(runProgram('cat', ['/nonexistent/frame.jpg'], { timeoutMs: 10_000 }));
    expect(err).toMatchObject({ program: 'cat', reason: 'exit', code: 1, signal: null });
    expect(err.message).toMatch(/^cat exited with code 1: .*\/nonexistent\/frame\.jpg.*No such file/);
    const r = await runProgram('cat', ['/nonexistent/frame.jpg'], { timeoutMs: 10_000, check: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No such file');
  });

  it('a missing program is a reason, not a hang', async () => {
    const onPath = await failure(runProgram('no-such-program-here', [], { timeoutMs: 60_000 }));
    expect(onPath).toMatchObject({ reason: 'missing', message: 'no-such-program-here is not installed (not found on PATH)' });
    const byPath = await failure(runProgram('/nonexistent/lp', [], { timeoutMs: 60_000 }));
    expect(byPath).toMatchObject({ reason: 'missing', message: '/nonexistent/lp is not installed (not found)' });
  });

  it('kills a program at its deadline with SIGTERM', async () => {
    const err = await failure(runProgram('sleep', ['30'], { timeoutMs: 200 }));
    expect(err).toMatchObject({ reason: 'deadline', signal: 'SIGTERM' });
    expect(err.message).toBe('sleep did not finish within 0.2 s (ended by SIGTERM)');
  });

  it('kills a program stopped with SIGSTOP at its deadline', async () => {
    const running = failure(runProgram('sleep', ['30'], { timeoutMs: 4000, graceMs: 60_000 }));
    await until('sleep started', () => childrenRunning('sleep').length === 1);
    const [pid] = childrenRunning('sleep');
    if (pid === undefined) throw new Error('no sleep');
    process.kill(pid, 'SIGSTOP');
    await until('sleep stopped', () => procState(pid) === 'T');
    const err = await running;
    expect(err).toMatchObject({ reason: 'deadline', signal: 'SIGTERM' });
    expect(procState(pid)).toBeNull();
  });

  it('SIGKILLs after the grace a stopped program that ignores SIGTERM', async () => {
    // A real program that outlives SIGTERM: node with the signal ignored, saying so in a file once it is.
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-child-'));
    const ready = path.join(dir, 'ready');
    const script = `process.on('SIGTERM', () => console.error('ignoring SIGTERM')); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000);`;
    const running = failure(runProgram(process.execPath, ['-e', script], { timeoutMs: 8000, graceMs: 300 }));
    try {
      await until('node ignoring SIGTERM', () => existsSync(ready));
      const name = process.execPath.split('/').at(-1) ?? 'node';
      const pid = childrenRunning(name).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(ready));
      if (pid === undefined) throw new Error('no node');
      process.kill(pid, 'SIGSTOP');
      await until('node stopped', () => procState(pid as number) === 'T');
      const err = await running;
      expect(err).toMatchObject({ reason: 'deadline', signal: 'SIGKILL' });
      expect(err.message).toMatch(/did not finish within 8 s \(ended by SIGKILL\): ignoring SIGTERM/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('aborting kills the program, and an aborted signal starts none', async () => {
    const stop = new AbortController();
    const running = failure(runProgram('sleep', ['30'], { timeoutMs: 60_000, signal: stop.signal }));
    await until('sleep started', () => childrenRunning('sleep').length === 1);
    stop.abort();
    expect(await running).toMatchObject({ reason: 'aborted', message: 'sleep was stopped: the service is stopping (ended by SIGTERM)' });
    expect(await failure(runProgram('sleep', ['30'], { timeoutMs: 60_000, signal: stop.signal }))).toMatchObject({ reason: 'aborted' });
    expect(childrenRunning('sleep')).toEqual([]);
  });

  it('refuses more stdout than its cap rather than hand back a cut-off answer', async () => {
    const err = await failure(runProgram('head', ['-c', '100000', '/dev/zero'], { timeoutMs: 10_000, maxStdoutBytes: 1000 }));
    expect(err).toMatchObject({ reason: 'output', message: expect.stringMatching(/^head wrote more than 1000 bytes to stdout/) });
    const ok = await runProgram('head', ['-c', '1000', '/dev/zero'], { timeoutMs: 10_000, maxStdoutBytes: 1000 });
    expect(ok.stdoutBytes.length).toBe(1000);
  });

  it('keeps the end of a long stderr', async () => {
    const r = await runProgram(
      'cat',
      Array.from({ length: 200 }, (_, i) => `/nonexistent/${i}`),
      {
        timeoutMs: 10_000,
        check: false,
        stderrTailChars: 200,
      },
    );
    expect(r.stderr.length).toBeLessThanOrEqual(200);
    expect(r.stderr).toContain('/nonexistent/199');
  });
});
