import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canConnect, freePort } from './ports.js';
import { type ManagedProcess, spawnManaged, waitFor } from './process.js';
import { tempDir } from './tmp.js';

export interface RsyncDaemon {
  readonly port: number;
  readonly module: string;
  readonly user: string;
  readonly secret: string;
  /** Where files sent to the module land. */
  readonly modulePath: string;
  /** `rsync://user@127.0.0.1:port/module/` */
  readonly url: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  running(): boolean;
  /** Sessions that sent files to the module, from the daemon's own log. */
  receiveSessions(): Promise<number>;
}

/** The rsyncd.conf text for one authenticated, writable module. Pure, for tests. */
export function rsyncdConf(o: {
  port: number;
  module: string;
  path: string;
  user: string;
  secretsFile: string;
  uid: number;
  gid: number;
  pidFile: string;
  logFile?: string;
}): string {
  return [
    `port = ${o.port}`,
    'address = 127.0.0.1',
    `pid file = ${o.pidFile}`,
    ...(o.logFile ? [`log file = ${o.logFile}`] : []),
    'use chroot = no',
    `uid = ${o.uid}`,
    `gid = ${o.gid}`,
    '',
    `[${o.module}]`,
    `  path = ${o.path}`,
    '  read only = no',
    `  auth users = ${o.user}`,
    `  secrets file = ${o.secretsFile}`,
    '  strict modes = yes',
    '',
  ].join('\n');
}

/** `rsync --daemon` on a free loopback port with one module that requires a user and secret. */
export async function startRsyncDaemon(opts: { module?: string; user?: string; secret?: string } = {}): Promise<RsyncDaemon> {
  const dir = await tempDir('rsyncd');
  const module = opts.module ?? 'inbox';
  const user = opts.user ?? 'station';
  const secret = opts.secret ?? 'station-secret';
  const modulePath = path.join(dir.path, module);
  await mkdir(modulePath, { recursive: true });
  const secretsFile = path.join(dir.path, 'rsyncd.secrets');
  await writeFile(secretsFile, `${user}:${secret}\n`, { mode: 0o600 });
  await chmod(secretsFile, 0o600);
  const port = await freePort();
  const confFile = path.join(dir.path, 'rsyncd.conf');
  const logFile = path.join(dir.path, 'rsyncd.log');
  await writeFile(
    confFile,
    rsyncdConf({
      port,
      module,
      path: modulePath,
      user,
      secretsFile,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      pidFile: path.join(dir.path, 'rsyncd.pid'),
      logFile,
    }),
  );
  let proc: ManagedProcess | undefined;
  const start = async () => {
    const p = spawnManaged({
      name: 'rsyncd',
      command: 'rsync',
      args: ['--daemon', '--no-detach', `--config=${confFile}`, `--port=${port}`],
    });
    proc = p;
    await waitFor(`rsync daemon on port ${port}`, () => canConnect(port), {
      failIf: () => (p.running() ? undefined : `rsync --daemon exited: ${p.output()}`),
    });
  };
  await start();
  return {
    port,
    module,
    user,
    secret,
    modulePath,
    url: `rsync://${user}@127.0.0.1:${port}/${module}/`,
    start,
    running: () => proc?.running() ?? false,
    // rsyncd logs "rsync to <module>/ from <user>@<host> (<addr>)" for every upload it accepts.
    receiveSessions: async () =>
      (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((l) => / rsync to \S+ from /.test(l)).length,
    stop: async () => proc?.stop(),
    kill: async () => proc?.kill(),
    async close() {
      await proc?.stop();
      await dir.remove();
    },
  };
}
