import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CONFIG_EXIT_CODE,
  ConfigError,
  configProblems,
  createLogger,
  DeadlineError,
  envFlag,
  envInt,
  envNumber,
  envText,
  exists,
  TEMP_PREFIX,
  withDeadline,
  writeFileDurable,
} from '../src/index.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sms-kit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('envFlag', () => {
  const schema = z.object({ A: envFlag(false), B: envFlag(true) });
  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['ON', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('%s → %s', (word, value) => {
    expect(schema.parse({ A: word }).A).toBe(value);
  });
  it('unset takes the default; a wrong word is named', () => {
    expect(schema.parse({})).toEqual({ A: false, B: true });
    const r = schema.safeParse({ A: 'maybe' });
    expect(r.success).toBe(false);
    if (!r.success) expect(configProblems(r.error)[0]).toMatch(/^A: must be one of true, 1, yes, on, false, 0, no, off$/);
  });
});

describe('envInt, envNumber, envText', () => {
  const schema = z.object({ N: envInt(8, 0, 10), F: envNumber(undefined, 0, 2), T: envText });
  it('unset or blank takes the fallback', () => {
    expect(schema.parse({})).toEqual({ N: 8, F: undefined, T: undefined });
    expect(schema.parse({ N: ' ', F: '', T: '  ' })).toEqual({ N: 8, F: undefined, T: undefined });
  });
  it('takes a value in range: whole numbers for envInt, fractions for envNumber', () => {
    expect(schema.parse({ N: '0', F: '1.5', T: 'x' })).toEqual({ N: 0, F: 1.5, T: 'x' });
  });
  it.each([
    [{ N: '11' }, 'N: must be a whole number from 0 to 10, got "11"'],
    [{ N: '2.5' }, 'N: must be a whole number from 0 to 10, got "2.5"'],
    [{ N: 'ten' }, 'N: must be a whole number from 0 to 10, got "ten"'],
    [{ F: '-0.1' }, 'F: must be a number from 0 to 2, got "-0.1"'],
    [{ F: 'Infinity' }, 'F: must be a number from 0 to 2, got "Infinity"'],
  ])('%o is refused with what was given', (env, message) => {
    const r = schema.safeParse(env);
    expect(r.success).toBe(false);
    if (!r.success) expect(configProblems(r.error)).toEqual([message]);
  });
});

describe('exists', () => {
  it('is true for a file and for a dangling link, false for nothing, and throws on other errors', async () => {
    await writeFile(path.join(dir, 'f'), 'x');
    await symlink(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    expect(await exists(path.join(dir, 'f'))).toBe(true);
    expect(await exists(path.join(dir, 'dangling'))).toBe(true);
    expect(await exists(path.join(dir, 'missing'))).toBe(false);
    expect(await exists(path.join(dir, 'f', 'below-a-file'))).toBe(false);
    if (process.getuid?.() !== 0) {
      await mkdir(path.join(dir, 'locked'));
      await writeFile(path.join(dir, 'locked', 'x'), 'x');
      await chmod(path.join(dir, 'locked'), 0);
      await expect(exists(path.join(dir, 'locked', 'x'))).rejects.toMatchObject({ code: 'EACCES' });
      await chmod(path.join(dir, 'locked'), 0o700);
    }
  });
});

describe('writeFileDurable', () => {
  it('replaces the content whole and leaves no temp file', async () => {
    const file = path.join(dir, 'durable.json');
    await writeFileDurable(file, 'old');
    await writeFileDurable(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
  });
  it('a failed write leaves the old content and no temp file', async () => {
    const file = path.join(dir, 'kept.txt');
    await writeFileDurable(file, 'kept');
    await expect(writeFileDurable(path.join(dir, 'no-such-dir', 'x'), 'y')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(file, 'utf8')).toBe('kept');
    expect((await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
  });
});

describe('withDeadline', () => {
  it('settles when the peer never answers, and aborts its signal', async () => {
    let aborted: unknown;
    const err = await withDeadline('s3 GET', 50, (signal) => {
      signal.addEventListener('abort', () => {
        aborted = signal.reason;
      });
      return new Promise<never>(() => undefined);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as Error).message).toBe('s3 GET: no answer within 50 ms');
    expect(aborted).toBe(err);
  });
  it('passes an answer through', async () => {
    expect(await withDeadline('x', 1000, async () => 7)).toBe(7);
  });
});

describe('createLogger', () => {
  it('writes the service and event, and blanks secrets wherever they are', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ service: 'test', level: 'info', destination, redact: ['config.SECRET'] });
    log.info({ event: 'x.y', token: 't0ken', s3: { secretAccessKey: 's3cret' }, config: { SECRET: 'hidden' } }, 'hello');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({ service: 'test', event: 'x.y', msg: 'hello', token: '[redacted]' });
    expect(lines[0]).not.toMatch(/t0ken|s3cret|hidden/);
  });
});

describe('runService', () => {
  const script = (body: string) =>
    `import { writeFileSync } from 'node:fs';\nimport { runService, ConfigError, createLogger } from ${JSON.stringify(path.join(import.meta.dirname, '../src/index.ts'))};\n${body}`;
  async function exitOf(body: string): Promise<{ code: number; stderr: string }> {
    const file = path.join(dir, `main-${Math.random().toString(36).slice(2)}.mts`);
    await writeFile(file, script(body));
    return run(process.execPath, ['--import', 'tsx', file], { timeout: 30_000 }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
  }
  const logger = "createLogger: () => createLogger({ service: 't', level: 'silent' })";

  it('exits 2 listing every problem when the configuration is bad', async () => {
    const r = await exitOf(
      `await runService({ loadConfig: () => { throw new ConfigError(['A: bad', 'B: worse']); }, ${logger}, start: async () => ({ close: async () => {} }) });`,
    );
    expect(r.code).toBe(CONFIG_EXIT_CODE);
    expect(r.stderr).toContain('A: bad');
    expect(r.stderr).toContain('B: worse');
  });
  it('exits 1 when the start fails', async () => {
    const r = await exitOf(
      `await runService({ loadConfig: () => ({}), ${logger}, start: async () => { throw new Error('port taken'); } });`,
    );
    expect(r.code).toBe(1);
  });
  it('closes cleanly on SIGTERM and exits 0', async () => {
    const r = await exitOf(
      `await runService({ loadConfig: () => ({}), ${logger}, start: async () => { const server = setInterval(() => {}, 1000); setTimeout(() => process.kill(process.pid, 'SIGTERM'), 10); return { close: async () => { clearInterval(server); writeFileSync(${JSON.stringify(path.join(dir, 'closed'))}, 'yes'); } }; } });`,
    );
    expect(r.code).toBe(0);
    expect(await readFile(path.join(dir, 'closed'), 'utf8')).toBe('yes');
  });
});

it('ConfigError lists each problem on its own line', () => {
  expect(new ConfigError(['A: x', 'B: y']).message).toBe('invalid configuration:\n  A: x\n  B: y');
});
