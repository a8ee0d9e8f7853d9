import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canConnect, freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, runOk } from './helpers.js';

// The processor's rsync daemon module, rendered from the template the
// provisioning script installs, run for real, and fed the way a station delivers.
describe('processor rsyncd.conf', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let daemon: ManagedProcess;
  let port: number;
  let inbox: string;
  let secret: string;
  const movieId = '01JF0000000000000000000001';

  const url = (user: string, rest = '') => `rsync://${user}@127.0.0.1:${port}/inbox/${rest}`;
  const rsync = (args: string[], password: string) => run('rsync', args, { env: { ...process.env, RSYNC_PASSWORD: password } });

  beforeAll(async () => {
    dir = await tempDir('rsyncd');
    inbox = path.join(dir.path, 'inbox');
    await mkdir(inbox);
    const secrets = path.join(dir.path, 'rsyncd.secrets');
    // The station's user and secret made as on the processing unit.
    await runOk(BIN('stop-motion-station-secret'), ['add', '01'], {
      env: { ...process.env, RSYNCD_SECRETS: secrets, STATION_SECRETS_DIR: path.join(dir.path, 'stations') },
    });
    secret = (await readFile(path.join(dir.path, 'stations', '01.secret'), 'utf8')).trim();
    // A user outside "station-*" is refused even with a correct secret.
    await appendFile(secrets, `intruder:${secret}\n`);
    port = await freePort();
    const conf = await runOk(BIN('stop-motion-render'), [
      'rsyncd',
      '--inbox',
      inbox,
      '--secrets',
      secrets,
      '--hosts-allow',
      '127.0.0.1',
      '--uid',
      String(process.getuid?.() ?? 0),
      '--gid',
      String(process.getgid?.() ?? 0),
      '--port',
      String(port),
      '--address',
      '127.0.0.1',
      '--pid-file',
      path.join(dir.path, 'rsyncd.pid'),
      // chroot needs root; production runs the daemon as root with chroot.
      '--chroot',
      process.getuid?.() === 0 ? 'yes' : 'no',
    ]);
    const confFile = path.join(dir.path, 'rsyncd.conf');
    await writeFile(confFile, conf.stdout);
    const p = spawnManaged({ name: 'rsyncd', command: 'rsync', args: ['--daemon', '--no-detach', `--config=${confFile}`] });
    daemon = p;
    await waitFor('rsync daemon', () => canConnect(port), { failIf: () => (p.running() ? undefined : p.output()) });
  });
  afterAll(async () => {
    await daemon?.stop();
    await dir?.remove();
  });

  it('takes a package from a station: files first, DONE last', async () => {
    const src = path.join(dir.path, 'outbox', movieId);
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'manifest.json'), '{"format":"stop-motion-package"}');
    await writeFile(path.join(src, '0000.jpg'), Buffer.alloc(4096, 1));
    await writeFile(path.join(src, 'PUBLISH'), '');
    await writeFile(path.join(src, 'DONE'), '');
    // The station's two steps (DESIGN.md "Delivery").
    const files = await rsync(
      ['-a', '--partial', '--delay-updates', '--exclude', 'DONE', `${src}/`, url('station-01', `${movieId}/`)],
      secret,
    );
    expect(files.stderr).toBe('');
    expect(files.code).toBe(0);
    expect((await readdir(path.join(inbox, movieId))).sort()).toEqual(['0000.jpg', 'PUBLISH', 'manifest.json']);
    const done = await rsync(['-a', path.join(src, 'DONE'), url('station-01', `${movieId}/DONE`)], secret);
    expect(done.code).toBe(0);
    expect((await stat(path.join(inbox, movieId, 'DONE'))).isFile()).toBe(true);
    expect(await readFile(path.join(inbox, movieId, '0000.jpg'))).toEqual(Buffer.alloc(4096, 1));
  });

  it('refuses a wrong secret and users that are not stations', async () => {
    const src = path.join(dir.path, 'x');
    await writeFile(src, 'x');
    const wrong = await rsync([src, url('station-01', 'x')], 'not-the-secret');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/auth failed/);
    const intruder = await rsync([src, url('intruder', 'x')], secret);
    expect(intruder.code).not.toBe(0);
    await expect(stat(path.join(inbox, 'x'))).rejects.toThrow();
  });

  it('lets a station neither read nor delete what is in the inbox', async () => {
    const read = await rsync(['-a', url('station-01', `${movieId}/`), path.join(dir.path, 'stolen/')], secret);
    expect(read.code).not.toBe(0);
    const empty = path.join(dir.path, 'empty');
    await mkdir(empty, { recursive: true });
    const wipe = await rsync(['-a', '--delete', `${empty}/`, url('station-01', `${movieId}/`)], secret);
    expect(wipe.code).not.toBe(0);
    expect((await readdir(path.join(inbox, movieId))).length).toBe(4);
  });
});
