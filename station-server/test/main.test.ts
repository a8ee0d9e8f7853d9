import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { CONFIG_EXIT_CODE } from '@stop-motion/kit';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainTs = path.join(repoRoot, 'station-server/src/main.ts');

function run(env: Record<string, string>) {
  const lines: string[] = [];
  const proc = spawnManaged({
    name: 'station',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', mainTs],
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    onLine: (l) => lines.push(l),
    keepLines: 500,
  });
  return { proc, lines };
}

describe('main.ts as a service', () => {
  it('lists every bad variable and exits 2, as every service does', async () => {
    const { proc, lines } = run({ STATION_PORT: 'x', CAMERA: 'nope', MAX_FRAMES: '0' });
    const exit = await proc.exited;
    expect(exit.code).toBe(CONFIG_EXIT_CODE);
    const text = lines.join('\n');
    for (const name of ['STATION_PORT', 'CAMERA', 'MAX_FRAMES']) expect(text).toContain(name);
  });

  it('logs one "listening" line with its URL, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const dir = await tempDir('main');
    try {
      const { proc, lines } = run({
        STATION_PORT: '0',
        STATION_DATA_DIR: dir.path,
        CAMERA_WIDTH: '320',
        CAMERA_HEIGHT: '240',
        BUTTONS: 'sim',
        RSYNC_PASSWORD: 'very-secret-value',
      });
      const url = await waitFor(
        'listening',
        () => {
          const line = lines.find((l) => l.includes('"msg":"listening"'));
          return line ? (JSON.parse(line) as { url: string }).url : undefined;
        },
        { timeoutMs: 30_000, failIf: () => (proc.running() ? undefined : proc.output()) },
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines.filter((l) => l.includes('"msg":"listening"'))).toHaveLength(1);
      expect(((await (await fetch(`${url}/healthz`)).json()) as { ok: boolean }).ok).toBe(true);
      await waitFor('camera ok', async () => ((await (await fetch(`${url}/healthz`)).json()) as { camera: string }).camera === 'ok');
      const pid = proc.child.pid as number;
      const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
      const cameraPid = children.find(
        (c) => existsSync(`/proc/${c}/cmdline`) && readFileSync(`/proc/${c}/cmdline`, 'utf8').startsWith('ffmpeg'),
      );
      expect(cameraPid).toBeDefined();
      proc.child.kill('SIGTERM');
      const exit = await proc.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      // The camera program went with it.
      expect(existsSync(`/proc/${cameraPid}`) && !readFileSync(`/proc/${cameraPid}/stat`, 'utf8').includes(') Z ')).toBe(false);
      expect(lines.some((l) => l.includes('"event":"stopped"'))).toBe(true);
      for (const l of lines) expect(JSON.parse(l)).toBeTypeOf('object'); // JSON logs when not on a terminal
      expect(lines.join('\n')).not.toContain('very-secret-value');
    } finally {
      await dir.remove();
    }
  });
});
