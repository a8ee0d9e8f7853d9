import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canConnect, freePort } from './ports.js';
import { type ManagedProcess, spawnManaged, waitFor } from './process.js';
import { tempDir } from './tmp.js';

/** One module of the daemon: its own path, its only user and that user's secret. */
export interface RsyncModule {
  readonly module: string;
  readonly user: string;
  readonly secret: string;
  /** Where files sent to the module land. */
  readonly modulePath: string;
  /** `rsync://user@127.0.0.1:port/module/` */
  readonly url: string;
}

export interface RsyncDaemon extends RsyncModule {
  readonly port: number;
  /** Every module, in the order asked for; the fields above are the first one's. */
  readonly modules: readonly RsyncModule[];
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  running(): boolean;
  /** Sessions that sent files to the module, from the daemon's own log. */
  receiveSessions(): Promise<number>;
}

/** The rsyncd.conf text for authenticated, writable modules, each with its one user. Pure, for tests. */
export function rsyncdConf(daemon: {
  port: number;
  modules: ReadonlyArray<{ module: string; path: string; user: string }>;
  secretsFile: string;
  uid: number;
  gid: number;
  pidFile: string;
  logFile?: string;
}): string {
  return [
    `port = ${daemon.port}`,
    'address = 127.0.0.1',
    `pid file = ${daemon.pidFile}`,
    ...(daemon.logFile ? [`log file = ${daemon.logFile}`] : []),
    'use chroot = no',
    `uid = ${daemon.uid}`,
    `gid = ${daemon.gid}`,
    ...daemon.modules.flatMap((m) => [
      '',
      `[${m.module}]`,
      `  path = ${m.path}`,
      '  read only = no',
      `  auth users = ${m.user}`,
      `  secrets file = ${daemon.secretsFile}`,
      '  strict modes = yes',
    ]),
    '',
  ].join('\n');
}

export interface RsyncModuleOptions {
  module: string;
  user: string;
  secret: string;
  /** Absolute path of the module (made if missing); default: a folder named after the module in the daemon's temp dir. */
  path?: string;
}

/**
 * `rsync --daemon` on a free loopback port. With `modules`, one module per entry (as
 * the processing unit gives each station its own); else one module `inbox` for user
 * `station`.
 */
export async function startRsyncDaemon(
  opts: { module?: string; user?: string; secret?: string; modules?: RsyncModuleOptions[] } = {},
): Promise<RsyncDaemon> {
  const dir = await tempDir('rsyncd');
  const asked = opts.modules ?? [{ module: opts.module ?? 'inbox', user: opts.user ?? 'station', secret: opts.secret ?? 'station-secret' }];
  if (asked.length === 0) throw new Error('startRsyncDaemon: no modules');
  const port = await freePort();
  const modules: RsyncModule[] = [];
  for (const m of asked) {
    if (!/^[A-Za-z0-9_-]+$/.test(m.module) || !/^[A-Za-z0-9_-]+$/.test(m.user)) throw new Error(`startRsyncDaemon: bad module ${m.module}`);
    const modulePath = m.path ?? path.join(dir.path, m.module);
    await mkdir(modulePath, { recursive: true });
    modules.push({ module: m.module, user: m.user, secret: m.secret, modulePath, url: `rsync://${m.user}@127.0.0.1:${port}/${m.module}/` });
  }
  const secretsFile = path.join(dir.path, 'rsyncd.secrets');
  const users = new Map(modules.map((m) => [m.user, m.secret]));
  await writeFile(secretsFile, [...users].map(([u, secret]) => `${u}:${secret}\n`).join(''), { mode: 0o600 });
  await chmod(secretsFile, 0o600);
  const confFile = path.join(dir.path, 'rsyncd.conf');
  const logFile = path.join(dir.path, 'rsyncd.log');
  await writeFile(
    confFile,
    rsyncdConf({
      port,
      modules: modules.map((m) => ({ module: m.module, path: m.modulePath, user: m.user })),
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
  const first = modules[0] as RsyncModule;
  return {
    ...first,
    port,
    modules,
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
