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
export function lpArgs(o: { queue: string; title: string; file: string; options: readonly string[] }): string[] {
  if (!QUEUE_NAME.test(o.queue)) throw new Error(`not a CUPS queue name: ${JSON.stringify(o.queue.slice(0, 40))}`);
  if (!o.file.startsWith('/')) throw new Error('the ticket file must be an absolute path');
  const args = ['-d', o.queue, '-t', o.title.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'ticket', '-n', '1'];
  for (const option of o.options) {
    if (!LP_OPTION.test(option)) throw new Error(`not an lp option: ${JSON.stringify(option.slice(0, 40))}`);
    args.push('-o', option);
  }
  args.push(o.file);
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
