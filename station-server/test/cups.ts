import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, waitFor } from '@stop-motion/e2e';

/**
 * A private CUPS scheduler for tests: its own ServerRoot, spool and logs in a temp dir,
 * listening only on a Unix socket there, so it never meets the system's cupsd or
 * another test's. Queues are cups-pdf printers; cups-pdf reads its settings only from
 * /etc/cups (cups-pdf-<queue>.conf for a device URI cups-pdf:/<queue>), so each queue
 * gets a uniquely named file there that points its output into the temp dir, removed
 * again by `stop()`.
 */

const PPD = '/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd';
const NEEDED = ['/usr/sbin/cupsd', '/usr/sbin/lpadmin', '/usr/lib/cups/backend/cups-pdf', PPD];

/** Why this machine cannot run the CUPS tests, or null when it can. */
export function cupsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root: cupsd and the cups-pdf backend run as root';
  const missing = NEEDED.filter((p) => !existsSync(p));
  if (missing.length > 0) return `missing ${missing.join(', ')} (Debian: cups, printer-driver-cups-pdf)`;
  for (const tool of ['lp', 'lpstat', 'cancel', 'cupsdisable', 'ipptool', 'pdftoppm', 'zbarimg']) {
    if (spawnSync('which', [tool]).status !== 0) return `missing ${tool} (Debian: cups-client, cups-ipp-utils, poppler-utils, zbar-tools)`;
  }
  return null;
}

export interface CupsQueue {
  name: string;
  /** Where cups-pdf writes this queue's PDFs. */
  outDir: string;
  pdfs(): Promise<string[]>;
}

export interface TestCups {
  /** CUPS_SERVER for clients: the scheduler's socket. */
  server: string;
  dir: string;
  /** A cups-pdf queue, or with `uri` a queue with that device (e.g. socket://host:port) and the same driver. */
  addQueue(opts?: { uri?: string }): Promise<CupsQueue>;
  /** Runs a CUPS admin command (cupsdisable, cupsenable, …) against this scheduler. */
  admin(command: string, args: string[]): string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startCups(): Promise<TestCups> {
  const tmp = await tempDir('cups');
  const dir = tmp.path;
  // The scheduler's filters run as lp: they must reach the temp dir.
  await chmod(dir, 0o755);
  for (const sub of ['spool', 'cache', 'state', 'log', 'out']) await mkdir(path.join(dir, sub), { mode: 0o755 });
  await mkdir(path.join(dir, 'tmp'));
  await chown(path.join(dir, 'tmp'), 0, lpGid());
  await chmod(path.join(dir, 'tmp'), 0o1770);
  const socket = path.join(dir, 'cups.sock');
  await writeFile(
    path.join(dir, 'cups-files.conf'),
    [
      `ServerRoot ${dir}`,
      `RequestRoot ${dir}/spool`,
      `CacheDir ${dir}/cache`,
      `StateDir ${dir}/state`,
      `TempDir ${dir}/tmp`,
      `AccessLog ${dir}/log/access_log`,
      `ErrorLog ${dir}/log/error_log`,
      `PageLog ${dir}/log/page_log`,
      'User lp',
      'Group lp',
      'SystemGroup root',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'cupsd.conf'),
    [
      `Listen ${socket}`,
      'Browsing No',
      'WebInterface No',
      'LogLevel info',
      // As on a station: the filters (pdftops, Ghostscript) yield to the station's own work.
      'FilterNice 10',
      // CUPS's default: finished jobs stay in the history with their state (completed,
      // canceled, aborted), which is how the station tells a printed ticket from a cancelled one.
      'PreserveJobHistory Yes',
      '<Location />',
      '  Order allow,deny',
      '  Allow all',
      '</Location>',
      '',
    ].join('\n'),
  );
  const child = spawn('cupsd', ['-f', '-c', path.join(dir, 'cupsd.conf'), '-s', path.join(dir, 'cups-files.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-2000);
  });
  const env = { ...process.env, CUPS_SERVER: socket };
  const confs: string[] = [];
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    for (const conf of confs) await rm(conf, { force: true });
    await tmp.remove();
  };
  try {
    await waitFor(
      'the test cupsd to answer',
      () => spawnSync('lpstat', ['-r'], { env, encoding: 'utf8', timeout: 5000 }).stdout.includes('scheduler is running'),
      { timeoutMs: 20_000, failIf: () => (child.exitCode !== null ? `cupsd exited: ${stderr.trim()}` : undefined) },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    server: socket,
    dir,
    process: child,
    async addQueue(opts = {}) {
      const name = `smsticket${process.pid}${randomBytes(3).toString('hex')}`;
      const outDir = path.join(dir, 'out', name);
      await mkdir(outDir, { mode: 0o755 });
      const conf = `/etc/cups/cups-pdf-${name}.conf`;
      confs.push(conf);
      await writeFile(conf, [`Out ${outDir}`, `Spool ${dir}/pdfspool-${name}`, `Log ${dir}/log`, 'Grp root', ''].join('\n'));
      execFileSync('lpadmin', ['-p', name, '-E', '-v', opts.uri ?? `cups-pdf:/${name}`, '-P', PPD], {
        env,
        stdio: 'pipe',
        timeout: 15_000,
      });
      return {
        name,
        outDir,
        pdfs: async () => (await readdir(outDir)).filter((f) => f.endsWith('.pdf')).map((f) => path.join(outDir, f)),
      };
    },
    admin(command, args) {
      return execFileSync(command, args, { env, encoding: 'utf8', timeout: 15_000 });
    },
    stop,
  };
}

function lpGid(): number {
  const line = spawnSync('getent', ['group', 'lp'], { encoding: 'utf8' }).stdout.trim();
  const gid = Number(line.split(':')[2]);
  return Number.isInteger(gid) ? gid : 7;
}

/** The PDF as a grey PNG at the printer's 203 dpi (pdftoppm), written to `png`. */
export function pdfToPng(pdf: string, png: string): void {
  execFileSync('pdftoppm', ['-r', '203', '-gray', '-png', '-singlefile', pdf, png.replace(/\.png$/, '')], { timeout: 30_000 });
}

/** The text of every QR code in a picture (zbarimg). */
export function readQrCodes(png: string): string[] {
  const r = spawnSync('zbarimg', ['--quiet', '--raw', '-Sqrcode.enable', png], { encoding: 'utf8', timeout: 30_000 });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
