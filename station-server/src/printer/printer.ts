// Over 300 lines: one class holds a CUPS queue's state (tickets in flight, how each job ended,
// the queue's problems), which change together; the argv builders and parsers are in cups.ts.

import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ChildError } from '@stop-motion/kit';
import type { Locale, PrinterStatus, Publish } from '@stop-motion/protocol';
import type { Logger } from '../log.js';
import { runChild } from './child.js';
import {
  FINISHED_JOBS_TEST,
  type FinishedJob,
  ipptoolFinishedArgs,
  jobNotPrinted,
  jobNumber,
  lpArgs,
  lpstatAcceptingArgs,
  lpstatJobsArgs,
  lpstatPrinterArgs,
  lpstatSchedulerArgs,
  parseFinishedJobs,
  parseLpRequestId,
  parseLpstatAccepting,
  parseLpstatJobs,
  parseLpstatPrinter,
  parseLpstatScheduler,
  printerProblem,
  queueUri,
} from './cups.js';
import { renderTicket } from './ticket.js';

export interface PrinterOptions {
  /** The CUPS queue (PRINTER); null prints nothing. */
  queue: string | null;
  /** Which films get a ticket (PRINT_PUBLISH). */
  publish: 'public' | 'all';
  paperMm: 58 | 80;
  lpOptions: string[];
  /** A job still not printed after this long makes the printer a problem (a jam, no paper, unplugged). */
  jobTimeoutMs: number;
  /** How often the queue is looked at when nothing is printing. */
  checkIntervalMs: number;
  /** How often while a ticket is on its way. */
  busyCheckIntervalMs: number;
  /** The deadline of every lp, lpstat and ffmpeg run. */
  commandTimeoutMs: number;
  /** CUPS_SERVER for lp and lpstat (a host[:port] or a socket path); unset = CUPS's own default. */
  cupsServer: string | undefined;
  eventName: string;
  fonts: { regular: string; bold: string; mono: string };
  /** Scratch space for ticket files. */
  workDir: string;
  log: Logger;
  /** Program names, for unusual installs. */
  commands?: { lp?: string; lpstat?: string; ipptool?: string; ffmpeg?: string };
}

export interface TicketRequest {
  movieId: string;
  publish: Publish;
  shortCode: string;
  /** Secret (it carries the owner key): printed, never logged. */
  claimUrl: string | null;
  locale: Locale;
  /** Where the poster frame is now (the package moves from outbox to sent). */
  posterFile: () => Promise<string | null>;
}

interface Outstanding {
  jobId: string;
  movieId: string;
  since: number;
}

/**
 * Claim tickets through CUPS. Tickets are drawn and handed to `lp` one after the
 * other in the background; a finish never waits for them. The queue is looked at
 * with `lpstat` on a timer and after each ticket, and every problem — no such queue,
 * a stopped or rejecting queue, the printer's own alerts, `lp` failing, a job that does
 * not print — becomes the status the operator corner shows, with the reason, and a log line.
 * A ticket that cannot be printed is not kept for later: by then its family has left.
 */
export class Printer extends EventEmitter<{ status: [PrinterStatus] }> {
  private current: PrinterStatus;
  private chain: Promise<void> = Promise.resolve();
  private readonly outstanding = new Map<string, Outstanding>();
  private submitError: string | null = null;
  /** The last ticket failed because the scheduler did not answer in time: an answering scheduler ends that problem. */
  private submitTimedOut = false;
  /** The last ticket CUPS cancelled or aborted; cleared when a later one prints. */
  private jobError: string | null = null;
  private queueProblem: string | null = null;
  private printing = false;
  private pending = 0;
  private printed = 0;
  private lastPrintedAt: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private counter = 0;

  constructor(private readonly options: PrinterOptions) {
    super();
    this.current = { queue: options.queue, state: options.queue ? 'ok' : 'off', pending: 0, printed: 0, lastPrintedAt: null };
  }

  status(): PrinterStatus {
    return this.current;
  }

  async start(): Promise<void> {
    if (!this.options.queue) return;
    this.options.log.info({ event: 'printer.start', queue: this.options.queue }, 'claim tickets go to a CUPS queue');
    // Ticket files left by a run that was killed mid-ticket.
    await rm(this.options.workDir, { recursive: true, force: true }).catch(() => undefined);
    // Not awaited: a cupsd that hangs must not hold up the station's start.
    void this.checkSoon();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.chain;
    await this.checking;
  }

  /** Queues a ticket for a finished film; never throws, never waits. */
  submit(req: TicketRequest): void {
    if (!this.options.queue || this.abort.signal.aborted) return;
    if (req.publish !== 'public' && this.options.publish === 'public') return;
    this.pending++;
    this.update();
    // Started on a later turn of the event loop: the finish's reply and the claim screen go out first.
    this.chain = this.chain
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.printOne(req))
      .catch(() => undefined);
  }

  private async printOne(req: TicketRequest): Promise<void> {
    if (this.abort.signal.aborted) {
      this.pending--;
      return;
    }
    const queue = this.options.queue as string;
    const dir = path.join(this.options.workDir, `${req.movieId}-${process.pid}-${++this.counter}`);
    const log = this.options.log;
    try {
      const posterFile = await req.posterFile().catch(() => null);
      const ticket = await renderTicket(
        dir,
        {
          eventName: this.options.eventName,
          locale: req.locale,
          shortCode: req.shortCode,
          claimUrl: req.claimUrl,
          posterFile,
          paperMm: this.options.paperMm,
          fonts: this.options.fonts,
        },
        {
          timeoutMs: this.options.commandTimeoutMs,
          signal: this.abort.signal,
          ...(this.options.commands?.ffmpeg ? { ffmpeg: this.options.commands.ffmpeg } : {}),
        },
      );
      const r = await runChild(
        this.options.commands?.lp ?? 'lp',
        lpArgs({ queue, title: `ticket-${req.shortCode}`, file: ticket.pdf, options: this.options.lpOptions }),
        { timeoutMs: this.options.commandTimeoutMs, env: this.env(), signal: this.abort.signal },
      );
      const jobId = parseLpRequestId(r.stdout);
      if (r.code !== 0 || !jobId) throw new Error(`lp failed (exit ${r.code}): ${oneLine(r.stderr || r.stdout) || 'no job id'}`);
      this.outstanding.set(jobId, { jobId, movieId: req.movieId, since: Date.now() });
      this.submitError = null;
      this.submitTimedOut = false;
      log.info({ event: 'ticket.sent', movieId: req.movieId, jobId, queue }, 'claim ticket sent to the printer');
    } catch (err) {
      this.submitError = `ticket not printed: ${(err as Error).message}`;
      this.submitTimedOut = err instanceof ChildError && err.reason === 'deadline';
      log.warn({ event: 'ticket.failed', movieId: req.movieId, queue, reason: (err as Error).message }, 'claim ticket not printed');
    } finally {
      this.pending--;
      // The spooler has its own copy once lp has answered.
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      this.update();
      if (!this.abort.signal.aborted) void this.checkSoon();
    }
  }

  private env(): NodeJS.ProcessEnv {
    return this.options.cupsServer ? { ...process.env, CUPS_SERVER: this.options.cupsServer } : process.env;
  }

  private schedule(): void {
    if (this.abort.signal.aborted) return;
    if (this.timer) clearTimeout(this.timer);
    const busy = this.outstanding.size > 0 || this.pending > 0;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.checkSoon();
      },
      busy ? this.options.busyCheckIntervalMs : this.options.checkIntervalMs,
    );
    this.timer.unref();
  }

  private async checkSoon(): Promise<void> {
    if (!this.checking) {
      this.checking = this.check().finally(() => {
        this.checking = null;
        this.schedule();
      });
    }
    await this.checking;
  }

  /** Looks at the queue and the jobs still on their way. */
  private async check(): Promise<void> {
    const queue = this.options.queue;
    if (!queue) return;
    const lpstat = this.options.commands?.lpstat ?? 'lpstat';
    const run = (args: string[]) =>
      runChild(lpstat, args, { timeoutMs: this.options.commandTimeoutMs, env: this.env(), signal: this.abort.signal });
    let problem: string | null = null;
    try {
      const p = await run(lpstatPrinterArgs(queue));
      const state = parseLpstatPrinter(p.stdout, queue);
      if (!state) {
        // lpstat says "Invalid destination" also when it reaches no scheduler at all.
        const r = await run(lpstatSchedulerArgs());
        problem = parseLpstatScheduler(r.stdout)
          ? /Invalid destination|does not exist|No destinations/i.test(p.stderr)
            ? `there is no CUPS queue "${queue}"`
            : `lpstat failed (exit ${p.code}): ${oneLine(p.stderr) || 'no answer about the queue'}`
          : `the CUPS scheduler is not running${this.options.cupsServer ? ` at ${this.options.cupsServer}` : ''}`;
      } else {
        this.printing = state.state === 'printing';
        const a = await run(lpstatAcceptingArgs(queue));
        const accepting = parseLpstatAccepting(a.stdout, queue) ?? { accepting: true, reason: null };
        problem = printerProblem(state, accepting);
        if (this.outstanding.size > 0) {
          const j = await run(lpstatJobsArgs(queue));
          if (j.code === 0) {
            const waiting = new Set(parseLpstatJobs(j.stdout, queue));
            const done = [...this.outstanding.values()].filter((job) => !waiting.has(job.jobId));
            if (done.length > 0) problem = joinProblems(problem, await this.settle(queue, done));
          }
          const now = Date.now();
          const late = [...this.outstanding.values()].filter((j) => now - j.since >= this.options.jobTimeoutMs);
          if (late.length > 0) {
            const oldest = late[0] as Outstanding;
            const waiting = `${late.length} ticket(s) not printed after ${Math.round((now - oldest.since) / 1000)} s (job ${oldest.jobId})`;
            problem = problem ? `${problem}; ${waiting}` : `${waiting}: is the paper out or jammed?`;
          }
        }
      }
    } catch (err) {
      if (this.abort.signal.aborted) return;
      problem = `lpstat: ${(err as Error).message}`;
    }
    if (problem === null && this.submitTimedOut) {
      // The scheduler answers again, whether or not a poll saw it stopped.
      this.submitError = null;
      this.submitTimedOut = false;
    }
    if (problem !== this.queueProblem) {
      if (problem) this.options.log.warn({ event: 'printer.problem', queue, reason: problem }, 'the claim ticket printer has a problem');
      else if (this.queueProblem) {
        this.options.log.info({ event: 'printer.ok', queue }, 'the claim ticket printer is fine again');
        // The failed ticket was the queue's fault, and the queue is fixed.
        this.submitError = null;
      }
    }
    this.queueProblem = problem;
    this.update();
  }

  /**
   * Jobs that left the not-completed list ended in one of three states: only
   * `completed` is a printed ticket; `canceled` (someone ran cancel, or a jam was
   * cleared by cancelling) and `aborted` (the filter or backend gave up) are not.
   * Returns a problem when the states cannot be read; the jobs then stay outstanding.
   */
  private async settle(queue: string, done: Outstanding[]): Promise<string | null> {
    let finished: Map<number, FinishedJob>;
    try {
      finished = await this.finishedJobs(queue);
    } catch (err) {
      if (this.abort.signal.aborted) return null;
      return `cannot tell whether the tickets printed: ${(err as Error).message}`;
    }
    const log = this.options.log;
    for (const job of done) {
      this.outstanding.delete(job.jobId);
      const end = finished.get(jobNumber(job.jobId));
      if (!end) {
        // PreserveJobHistory No, or purged already: the scheduler no longer knows.
        log.warn(
          { event: 'ticket.unknown', movieId: job.movieId, jobId: job.jobId },
          'claim ticket left the queue; CUPS kept no record of how',
        );
        continue;
      }
      const notPrinted = jobNotPrinted(end);
      if (notPrinted) {
        this.jobError = `ticket not printed: job ${job.jobId} ${notPrinted}`;
        log.warn(
          { event: 'ticket.failed', movieId: job.movieId, jobId: job.jobId, jobState: end.state, reason: notPrinted },
          'claim ticket not printed',
        );
        continue;
      }
      this.printed++;
      this.lastPrintedAt = new Date().toISOString();
      this.jobError = null;
      log.info({ event: 'ticket.printed', movieId: job.movieId, jobId: job.jobId }, 'claim ticket printed');
    }
    return null;
  }

  /** The queue's finished jobs and how each ended (IPP Get-Jobs through ipptool). */
  private async finishedJobs(queue: string): Promise<Map<number, FinishedJob>> {
    const testFile = path.join(this.options.workDir, 'finished-jobs.test');
    if (!existsSync(testFile)) {
      await mkdir(this.options.workDir, { recursive: true });
      await writeFile(testFile, FINISHED_JOBS_TEST);
    }
    const localSocket = existsSync('/run/cups/cups.sock') ? '/run/cups/cups.sock' : null;
    const uri = queueUri(queue, this.options.cupsServer, localSocket);
    const r = await runChild(
      this.options.commands?.ipptool ?? 'ipptool',
      ipptoolFinishedArgs(uri, testFile, this.options.commandTimeoutMs / 1000),
      {
        timeoutMs: this.options.commandTimeoutMs,
        signal: this.abort.signal,
      },
    ).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new Error('ipptool is missing (Debian: cups-ipp-utils)') : err;
    });
    if (r.code !== 0) throw new Error(`ipptool failed (exit ${r.code}): ${oneLine(r.stderr || r.stdout) || 'no answer'}`);
    return new Map(parseFinishedJobs(r.stdout).map((j) => [j.id, j]));
  }

  private update(): void {
    const queue = this.options.queue;
    const message = this.queueProblem ?? this.jobError ?? this.submitError;
    const next: PrinterStatus = {
      queue,
      state: !queue ? 'off' : message ? 'problem' : this.pending > 0 || this.outstanding.size > 0 || this.printing ? 'printing' : 'ok',
      ...(message ? { message } : {}),
      pending: this.pending + this.outstanding.size,
      printed: this.printed,
      lastPrintedAt: this.lastPrintedAt,
    };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.emit('status', next);
  }
}

function joinProblems(a: string | null, b: string | null): string | null {
  return a && b ? `${a}; ${b}` : (a ?? b);
}

function oneLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 300);
}
