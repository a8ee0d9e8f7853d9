import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canConnect, freePort, type ManagedProcess, spawnManaged, tempDir, waitFor } from '@stop-motion/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, runOk } from './helpers.js';

// The processor's rsync daemon, rendered from the template the provisioning script
// installs, with two stations made by stop-motion-station-secret, run for real and
// fed the way a station delivers.
describe('processor rsyncd.conf: one module and secret per station', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let daemon: ManagedProcess;
  let port: number;
  let inbox: string;
  const secrets: Record<string, string> = {};
  const movieId = '01JF0000000000000000000001';

  const url = (user: string, module: string, rest = '') => `rsync://${user}@127.0.0.1:${port}/${module}/${rest}`;
  const rsync = (args: string[], password: string) => run('rsync', args, { env: { ...process.env, RSYNC_PASSWORD: password } });
  const file = async (name: string) => {
    const f = path.join(dir.path, name);
    await writeFile(f, name);
    return f;
  };

  beforeAll(async () => {
    dir = await tempDir('rsyncd');
    inbox = path.join(dir.path, 'inbox');
    await mkdir(inbox);
    const secretsFile = path.join(dir.path, 'rsyncd.secrets');
    const modules = path.join(dir.path, 'rsyncd.d');
    const env = {
      ...process.env,
      RSYNCD_SECRETS: secretsFile,
      STATION_SECRETS_DIR: path.join(dir.path, 'stations'),
      RSYNCD_MODULES: modules,
      STOP_MOTION_INBOX: inbox,
      STOP_MOTION_INBOX_OWNER: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    };
    // The stations' modules, users and secrets made as on the processing unit.
    for (const id of ['01', '02']) {
      await runOk(BIN('stop-motion-station-secret'), ['add', id], { env });
      secrets[id] = (await readFile(path.join(dir.path, 'stations', `${id}.secret`), 'utf8')).trim();
    }
    // A user outside the module's own is refused even with a correct secret.
    await appendFile(secretsFile, `intruder:${secrets['01']}\n`);
    // A module file that forgot "auth users" admits nobody (the global default).
    await mkdir(path.join(inbox, 'open'));
    await writeFile(path.join(modules, 'open.conf'), `[open]\n  path = ${path.join(inbox, 'open')}\n`);
    port = await freePort();
    const conf = await runOk(BIN('stop-motion-render'), [
      'rsyncd',
      '--modules',
      modules,
      '--secrets',
      secretsFile,
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

  it('takes a package from a station into its own area: files first, DONE last', async () => {
    const src = path.join(dir.path, 'outbox', movieId);
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'manifest.json'), '{"format":"stop-motion-package"}');
    await writeFile(path.join(src, '0000.jpg'), Buffer.alloc(4096, 1));
    await writeFile(path.join(src, 'PUBLISH'), '');
    await writeFile(path.join(src, 'DONE'), '');
    // The station's two steps (root README, "How it works").
    const files = await rsync(
      ['-a', '--partial', '--delay-updates', '--exclude', 'DONE', `${src}/`, url('station-01', 'station-01', `${movieId}/`)],
      secrets['01'] as string,
    );
    expect(files.stderr).toBe('');
    expect(files.code).toBe(0);
    expect((await readdir(path.join(inbox, '01', movieId))).sort()).toEqual(['0000.jpg', 'PUBLISH', 'manifest.json']);
    const done = await rsync(['-a', path.join(src, 'DONE'), url('station-01', 'station-01', `${movieId}/DONE`)], secrets['01'] as string);
    expect(done.code).toBe(0);
    expect((await stat(path.join(inbox, '01', movieId, 'DONE'))).isFile()).toBe(true);
    expect(await readFile(path.join(inbox, '01', movieId, '0000.jpg'))).toEqual(Buffer.alloc(4096, 1));
    // Station 02's delivery lands in its own area.
    const other = await rsync([await file('b.jpg'), url('station-02', 'station-02', 'b.jpg')], secrets['02'] as string);
    expect(other.code).toBe(0);
    expect((await readdir(path.join(inbox, '02'))).sort()).toEqual(['.stop-motion-area', 'b.jpg']);
  });

  it("keeps one station's secret out of another's module, and has no shared module", async () => {
    const src = await file('overwrite.jpg');
    // Station 01's own user and secret, aimed at station 02's module.
    const asSelf = await rsync([src, url('station-01', 'station-02', 'overwrite.jpg')], secrets['01'] as string);
    expect(asSelf.code).not.toBe(0);
    expect(asSelf.stderr).toMatch(/auth failed/);
    // Station 01's secret under station 02's name.
    const asOther = await rsync([src, url('station-02', 'station-02', 'overwrite.jpg')], secrets['01'] as string);
    expect(asOther.code).not.toBe(0);
    expect(asOther.stderr).toMatch(/auth failed/);
    // Out of its own module by a relative path.
    await rsync([src, url('station-01', 'station-01', '../02/overwrite.jpg')], secrets['01'] as string);
    expect((await readdir(path.join(inbox, '02'))).sort()).toEqual(['.stop-motion-area', 'b.jpg']);
    // The old shared module is gone.
    const shared = await rsync([src, url('station-01', 'inbox', 'overwrite.jpg')], secrets['01'] as string);
    expect(shared.code).not.toBe(0);
    expect(shared.stderr).toMatch(/Unknown module/);
    await expect(stat(path.join(inbox, 'overwrite.jpg'))).rejects.toThrow();
  });

  it('refuses a wrong secret, users that are not the station, and a module without its own users', async () => {
    const src = await file('x');
    const wrong = await rsync([src, url('station-01', 'station-01', 'x')], 'not-the-secret');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/auth failed/);
    const intruder = await rsync([src, url('intruder', 'station-01', 'x')], secrets['01'] as string);
    expect(intruder.code).not.toBe(0);
    const open = await rsync([src, url('station-01', 'open', 'x')], secrets['01'] as string);
    expect(open.code).not.toBe(0);
    expect(await readdir(path.join(inbox, 'open'))).toEqual([]);
    await expect(stat(path.join(inbox, '01', 'x'))).rejects.toThrow();
  });

  it('lets a station neither read nor delete what is in its area', async () => {
    const read = await rsync(
      ['-a', url('station-01', 'station-01', `${movieId}/`), path.join(dir.path, 'stolen/')],
      secrets['01'] as string,
    );
    expect(read.code).not.toBe(0);
    const empty = path.join(dir.path, 'empty');
    await mkdir(empty, { recursive: true });
    const wipe = await rsync(['-a', '--delete', `${empty}/`, url('station-01', 'station-01', `${movieId}/`)], secrets['01'] as string);
    expect(wipe.code).not.toBe(0);
    expect((await readdir(path.join(inbox, '01', movieId))).length).toBe(4);
  });
});
