import { DONE_FILE } from '@stop-motion/protocol';

export type TargetKind = 'local' | 'rsync' | 'ssh';

/** `rsync://…` daemon, `user@host:path` / `host:path` over SSH, anything else a local path. */
export function targetKind(target: string): TargetKind {
  if (/^rsync:\/\//i.test(target)) return 'rsync';
  // host:path — a colon before the first slash (rsync's own rule); "./a:b" stays local.
  if (/^[^/]*[^/:]:(?!\/\/)/.test(target) && !target.startsWith('.')) return 'ssh';
  return 'local';
}

/** `<target>/<movieId>/` whatever the kind of target. */
export function packageDestination(target: string, movieId: string): string {
  const base = target.endsWith('/') || target.endsWith(':') ? target : `${target}/`;
  return `${base}${movieId}/`;
}

export interface RsyncOptions {
  target: string;
  movieId: string;
  /** The package directory in the outbox. */
  source: string;
  timeoutSeconds: number;
  passwordFile?: string | undefined;
  sshKey?: string | undefined;
}

/**
 * `--fsync` makes the receiving side (the processor's rsync daemon or the remote rsync
 * over SSH; rsync passes the option on to it) fsync every file it finishes before it
 * answers: once rsync exits 0 the frames are on the processor's disk, and a power cut
 * there right after DONE loses no frame the station has let go of. Both ends need an
 * rsync that knows the option (Debian 12 and Raspberry Pi OS Bookworm ship 3.2.7).
 */
function common(rsync: RsyncOptions): string[] {
  const args = ['-a', '--fsync', `--timeout=${rsync.timeoutSeconds}`, `--contimeout=${Math.min(rsync.timeoutSeconds, 30)}`];
  const kind = targetKind(rsync.target);
  if (kind !== 'rsync') args.splice(3, 1); // --contimeout only applies to daemon connections
  if (kind === 'rsync' && rsync.passwordFile) args.push(`--password-file=${rsync.passwordFile}`);
  if (kind === 'ssh') {
    // rsync splits this string itself; no shell is involved.
    const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=15'];
    if (rsync.sshKey) ssh.push('-i', rsync.sshKey);
    args.push('-e', ssh.join(' '));
  }
  return args;
}

/** Step 1: every file but DONE, resumable, renamed into place only at the end. */
export function rsyncFilesArgs(rsync: RsyncOptions): string[] {
  const source = rsync.source.endsWith('/') ? rsync.source : `${rsync.source}/`;
  return [
    ...common(rsync),
    '--partial',
    '--delay-updates',
    `--exclude=${DONE_FILE}`,
    source,
    packageDestination(rsync.target, rsync.movieId),
  ];
}

/** Step 2: DONE, once everything else has arrived. */
export function rsyncDoneArgs(rsync: RsyncOptions): string[] {
  const source = rsync.source.endsWith('/') ? rsync.source : `${rsync.source}/`;
  return [...common(rsync), `${source}${DONE_FILE}`, `${packageDestination(rsync.target, rsync.movieId)}${DONE_FILE}`];
}
