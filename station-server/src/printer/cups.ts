/**
 * Argument arrays for CUPS's System V commands (`lp`, `lpstat`) and parsers of what
 * they print, as CUPS 2.x writes it (lp(1), lpstat(1)). Pure functions: no I/O, no
 * shell; test/printer-cups.test.ts pins them down.
 */

/** A CUPS queue name: printable, no space, slash, '#' or quote (lpadmin(8)); we also keep it short. */
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,127}$/;

/** One `-o` option of lp, `name` or `name=value`; nothing a shell or CUPS's option parser would split. */
export const LP_OPTION = /^[A-Za-z0-9_.-]{1,64}(=[A-Za-z0-9_.:+-]{1,128})?$/;

/** `lp -d QUEUE -t TITLE -n 1 [-o option …] FILE`: the job's file is always an absolute path we wrote. */
export function lpArgs(job: { queue: string; title: string; file: string; options: readonly string[] }): string[] {
  if (!QUEUE_NAME.test(job.queue)) throw new Error(`not a CUPS queue name: ${JSON.stringify(job.queue.slice(0, 40))}`);
  if (!job.file.startsWith('/')) throw new Error('the ticket file must be an absolute path');
  const args = ['-d', job.queue, '-t', job.title.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'ticket', '-n', '1'];
  for (const option of job.options) {
    if (!LP_OPTION.test(option)) throw new Error(`not an lp option: ${JSON.stringify(option.slice(0, 40))}`);
    args.push('-o', option);
  }
  args.push(job.file);
  return args;
}

/** `lpstat -l -p QUEUE`: the queue's state, its reason line and its alerts (printer-state-reasons). */
export function lpstatPrinterArgs(queue: string): string[] {
  return ['-l', '-p', queue];
}

/** `lpstat -a QUEUE`: whether the queue accepts jobs. */
export function lpstatAcceptingArgs(queue: string): string[] {
  return ['-a', queue];
}

/** `lpstat -W not-completed -o QUEUE`: the jobs still waiting or printing. */
export function lpstatJobsArgs(queue: string): string[] {
  return ['-W', 'not-completed', '-o', queue];
}

/** The job id from lp's "request id is QUEUE-12 (1 file(s))", or null. */
export function parseLpRequestId(stdout: string): string | null {
  const m = /request id is (\S+-\d+)/.exec(stdout);
  return m?.[1] ?? null;
}

export interface QueueState {
  state: 'idle' | 'printing' | 'disabled';
  /** The reason line under a disabled queue (printer-state-message), if any. */
  reason: string | null;
  /** printer-state-reasons other than none, e.g. media-empty-error, offline-report. */
  alerts: string[];
}

/**
 * Reads `lpstat -l -p QUEUE`. CUPS prints
 *   printer Q is idle.  enabled since …
 *   printer Q now printing Q-3.  enabled since …
 *   printer Q disabled since … -
 *   \t<reason>
 *   \tAlerts: media-empty-error …
 * Null when the output names no such printer.
 */
export function parseLpstatPrinter(stdout: string, queue: string): QueueState | null {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => l.startsWith(`printer ${queue} `));
  if (head < 0) return null;
  const first = lines[head] ?? '';
  const state: QueueState['state'] = / disabled since /.test(first) ? 'disabled' : / now printing /.test(first) ? 'printing' : 'idle';
  const detail: string[] = [];
  for (const line of lines.slice(head + 1)) {
    if (!line.startsWith('\t')) break;
    detail.push(line.trim());
  }
  const alertLine = detail.find((l) => l.startsWith('Alerts:'));
  const alerts = (alertLine?.slice('Alerts:'.length).trim() ?? '').split(/\s+/).filter((a) => a !== '' && a !== 'none');
  // Without -l the reason is the only indented line; with -l it comes before "Form mounted:".
  const first2 = detail[0];
  const reason = state === 'disabled' && first2 && !/^[A-Z][A-Za-z ]*:/.test(first2) ? first2 : null;
  return { state, reason, alerts };
}

/** Reads `lpstat -a QUEUE`: "Q accepting requests since …" or "Q not accepting requests since … -\n\t<reason>". */
export function parseLpstatAccepting(stdout: string, queue: string): { accepting: boolean; reason: string | null } | null {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => l.startsWith(`${queue} `));
  if (head < 0) return null;
  const line = lines[head] ?? '';
  if (/ not accepting requests/.test(line)) {
    const next = lines[head + 1];
    return { accepting: false, reason: next?.startsWith('\t') ? next.trim() : null };
  }
  if (/ accepting requests/.test(line)) return { accepting: true, reason: null };
  return null;
}

/** `lpstat -r`: whether the scheduler answers. */
export function lpstatSchedulerArgs(): string[] {
  return ['-r'];
}

/** "scheduler is running" / "scheduler is not running". */
export function parseLpstatScheduler(stdout: string): boolean {
  return /scheduler is running/.test(stdout);
}

/** The job ids listed by `lpstat -o` (first column, "QUEUE-N"). */
export function parseLpstatJobs(stdout: string, queue: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split('\n')) {
    const id = line.split(/\s+/)[0] ?? '';
    if (id.startsWith(`${queue}-`) && /-\d+$/.test(id)) ids.push(id);
  }
  return ids;
}

/**
 * What an operator should read about a queue: null when it can print. Of the printer's
 * alerts (printer-state-reasons) the warnings and errors count (media-empty-error,
 * media-jam-error, …) and offline-report, which is all an unplugged USB printer says.
 */
export function printerProblem(q: QueueState, accepting: { accepting: boolean; reason: string | null }): string | null {
  if (q.state === 'disabled') return `the queue is stopped${q.reason ? `: ${q.reason}` : ''}`;
  if (!accepting.accepting) return `the queue refuses jobs${accepting.reason ? `: ${accepting.reason}` : ''}`;
  const bad = q.alerts.filter((a) => /-(error|warning)$/.test(a) || a === 'offline-report' || a.startsWith('media-jam'));
  if (bad.length > 0) return `the printer reports ${bad.join(', ')}`;
  return null;
}

/**
 * An ipptool(1) test file asking the scheduler for the queue's finished jobs
 * (Get-Jobs, which-jobs=completed: job-state 7 canceled, 8 aborted and 9 completed).
 * lpstat cannot tell them apart: `lpstat -W completed` lists all three alike, and CUPS
 * 2.4's lpstat takes no other -W value; job-state says which one it was.
 */
export const FINISHED_JOBS_TEST = `{
\tNAME "finished jobs"
\tOPERATION Get-Jobs
\tGROUP operation-attributes-tag
\tATTR charset attributes-charset utf-8
\tATTR language attributes-natural-language en
\tATTR uri printer-uri $uri
\tATTR name requesting-user-name $user
\tATTR keyword which-jobs completed
\tATTR boolean my-jobs false
\tATTR keyword requested-attributes job-id,job-state,job-state-reasons,job-printer-state-message
\tSTATUS successful-ok
\tDISPLAY job-id
\tDISPLAY job-state
\tDISPLAY job-state-reasons
\tDISPLAY job-printer-state-message
}
`;

/**
 * The queue's IPP URI for ipptool from CUPS_SERVER as lp and lpstat read it: a socket
 * path (percent-encoded as the host, as CUPS does), host or host:port; unset is CUPS's
 * own default, the local socket where there is one, else localhost:631.
 */
export function queueUri(queue: string, server: string | undefined, localSocket: string | null): string {
  if (!QUEUE_NAME.test(queue)) throw new Error(`not a CUPS queue name: ${JSON.stringify(queue.slice(0, 40))}`);
  const s = (server ?? localSocket ?? 'localhost').replace(/\/version=[\d.]+$/, '');
  const host = s.startsWith('/') ? encodeURIComponent(s) : /:\d+$/.test(s) || s.startsWith('[') ? s : `${s}:631`;
  return `ipp://${host}/printers/${queue}`;
}

/** `ipptool -c -T SECONDS URI FILE`: CSV out, a deadline on every send and receive. */
export function ipptoolFinishedArgs(uri: string, testFile: string, timeoutSeconds: number): string[] {
  return ['-c', '-T', String(Math.max(1, Math.round(timeoutSeconds))), uri, testFile];
}

export interface FinishedJob {
  id: number;
  state: 'canceled' | 'aborted' | 'completed';
  reasons: string[];
  message: string | null;
}

/**
 * Reads ipptool's CSV: a header line naming the DISPLAY attributes, then one line per job
 * (a value with a comma, quote or backslash is in double quotes, those escaped with a
 * backslash; several keywords are one value joined by commas). Job states may come as keywords or as the enum's number.
 */
export function parseFinishedJobs(stdout: string): FinishedJob[] {
  const rows = stdout
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter(Boolean)
    .map(csvLine);
  const header = rows.findIndex((r) => r.includes('job-id') && r.includes('job-state'));
  if (header < 0) return [];
  const cols = rows[header] as string[];
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  const states: Record<string, FinishedJob['state']> = { '7': 'canceled', '8': 'aborted', '9': 'completed' };
  const jobs: FinishedJob[] = [];
  for (const row of rows.slice(header + 1)) {
    const id = Number(at(row, 'job-id'));
    const raw = at(row, 'job-state');
    const state = states[raw] ?? (['canceled', 'aborted', 'completed'].includes(raw) ? (raw as FinishedJob['state']) : null);
    if (!Number.isInteger(id) || id <= 0 || !state) continue;
    const reasons = at(row, 'job-state-reasons')
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '' && r !== 'none');
    const message = at(row, 'job-printer-state-message').trim();
    jobs.push({ id, state, reasons, message: message || null });
  }
  return jobs;
}

function csvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      // ipptool escapes a quote or backslash in a quoted value with a backslash.
      if (ch === '\\' && i + 1 < line.length) {
        cur += line[i + 1];
        i++;
      } else if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The job's number from "QUEUE-12". */
export function jobNumber(jobId: string): number {
  return Number(/-(\d+)$/.exec(jobId)?.[1] ?? Number.NaN);
}

/** Why a finished job did not print, in an operator's words; null when it printed. */
export function jobNotPrinted(job: FinishedJob): string | null {
  if (job.state === 'completed') return null;
  const why = [job.message, ...job.reasons.filter((r) => r !== 'processing-to-stop-point')].filter(Boolean).join('; ');
  return `${job.state === 'canceled' ? 'was cancelled' : 'was aborted'} in CUPS${why ? ` (${why})` : ''}`;
}
