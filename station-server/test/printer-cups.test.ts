import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import {
  ipptoolFinishedArgs,
  jobNotPrinted,
  jobNumber,
  lpArgs,
  parseFinishedJobs,
  parseLpRequestId,
  parseLpstatAccepting,
  parseLpstatJobs,
  parseLpstatPrinter,
  parseLpstatScheduler,
  printerProblem,
  queueUri,
} from '../src/printer/cups.js';
import { ticketArgs, ticketCaption, ticketLayout, ticketWidthDots } from '../src/printer/ticket.js';

// Outputs as CUPS 2.4 prints them (lpstat(1)), copied from a running scheduler.
const IDLE = `printer tickets is idle.  enabled since Wed Dec  2 00:44:40 2026
\tForm mounted:
\tContent types: any
\tPrinter types: unknown
\tDescription: tickets
\tAlerts: none
\tLocation: 
\tConnection: direct
`;
const DISABLED = `printer tickets disabled since Wed Dec  2 00:44:51 2026 -
\tpaper jam
\tForm mounted:
\tContent types: any
\tAlerts: paused
`;
const DISABLED_SHORT = 'printer tickets disabled since Wed Dec  2 00:44:51 2026 -\n\tpaper jam\n';
const PRINTING = `printer tickets now printing tickets-3.  enabled since Wed Dec  2 00:45:00 2026
\tForm mounted:
\tAlerts: media-empty-error media-needed-warning
`;

describe('CUPS command lines and their output', () => {
  it('lp gets the queue, a plain title, one copy, the options and the file, as separate arguments', () => {
    expect(
      lpArgs({ queue: 'tickets', title: 'ticket-AB12CD', file: '/data/t.pdf', options: ['fit-to-page', 'media=X80MMY200MM'] }),
    ).toEqual(['-d', 'tickets', '-t', 'ticket-AB12CD', '-n', '1', '-o', 'fit-to-page', '-o', 'media=X80MMY200MM', '/data/t.pdf']);
    expect(lpArgs({ queue: 'q', title: 'a b;$(x)', file: '/t.pdf', options: [] })).toContain('a_b___x_');
    expect(() => lpArgs({ queue: '-d evil', title: 't', file: '/t.pdf', options: [] })).toThrow(/queue name/);
    expect(() => lpArgs({ queue: 'q', title: 't', file: '-o.pdf', options: [] })).toThrow(/absolute/);
    expect(() => lpArgs({ queue: 'q', title: 't', file: '/t.pdf', options: ['a b'] })).toThrow(/lp option/);
  });

  it('reads the job id, the queue state, its reason and alerts, acceptance and the waiting jobs', () => {
    expect(parseLpRequestId('request id is tickets-12 (1 file(s))\n')).toBe('tickets-12');
    expect(parseLpRequestId('')).toBeNull();
    expect(parseLpstatPrinter(IDLE, 'tickets')).toEqual({ state: 'idle', reason: null, alerts: [] });
    expect(parseLpstatPrinter(DISABLED, 'tickets')).toEqual({ state: 'disabled', reason: 'paper jam', alerts: ['paused'] });
    expect(parseLpstatPrinter(DISABLED_SHORT, 'tickets')).toEqual({ state: 'disabled', reason: 'paper jam', alerts: [] });
    expect(parseLpstatPrinter(PRINTING, 'tickets')).toEqual({
      state: 'printing',
      reason: null,
      alerts: ['media-empty-error', 'media-needed-warning'],
    });
    // Another queue whose name starts the same is not this one.
    expect(parseLpstatPrinter(IDLE.replace('printer tickets ', 'printer tickets2 '), 'tickets')).toBeNull();
    expect(parseLpstatAccepting('tickets accepting requests since Wed Dec  2 00:44:40 2026\n', 'tickets')).toEqual({
      accepting: true,
      reason: null,
    });
    expect(parseLpstatAccepting('tickets not accepting requests since Wed Dec  2 00:44:51 2026 -\n\tRejecting Jobs\n', 'tickets')).toEqual({
      accepting: false,
      reason: 'Rejecting Jobs',
    });
    expect(
      parseLpstatJobs(
        'tickets-1                 root              1024   Wed Dec  2 00:44:43 2026\ntickets-2                 root              1024   Wed Dec  2 00:44:52 2026\n',
        'tickets',
      ),
    ).toEqual(['tickets-1', 'tickets-2']);
    expect(parseLpstatScheduler('scheduler is running\n')).toBe(true);
    expect(parseLpstatScheduler('scheduler is not running\n')).toBe(false);
  });

  it('names what keeps a queue from printing', () => {
    const ok = { accepting: true, reason: null };
    expect(printerProblem({ state: 'idle', reason: null, alerts: [] }, ok)).toBeNull();
    expect(printerProblem({ state: 'idle', reason: null, alerts: ['paused'] }, ok)).toBeNull();
    expect(printerProblem({ state: 'disabled', reason: 'paper jam', alerts: [] }, ok)).toBe('the queue is stopped: paper jam');
    expect(printerProblem({ state: 'idle', reason: null, alerts: [] }, { accepting: false, reason: 'Rejecting Jobs' })).toBe(
      'the queue refuses jobs: Rejecting Jobs',
    );
    expect(printerProblem({ state: 'printing', reason: null, alerts: ['media-empty-error'] }, ok)).toBe(
      'the printer reports media-empty-error',
    );
    expect(printerProblem({ state: 'idle', reason: null, alerts: ['offline-report'] }, ok)).toBe('the printer reports offline-report');
  });
});

describe('how a job ended (ipptool Get-Jobs which-jobs=completed)', () => {
  // ipptool -c of CUPS 2.4.2 against a running scheduler: job 1 cancelled, job 2 printed;
  // the aborted line as the same CSV writes a message with a comma and several reasons.
  const CSV = [
    'job-id,job-state,job-state-reasons,job-printer-state-message',
    '1,canceled,processing-to-stop-point,',
    '2,completed,processing-to-stop-point,',
    '3,aborted,"job-aborted-by-system,document-format-error","Filter failed, see \\"error_log\\""',
    '4,9,none,',
    '',
  ].join('\n');

  it('reads each job state, and only completed is a printed ticket', () => {
    const jobs = parseFinishedJobs(CSV);
    expect(jobs.map((j) => [j.id, j.state])).toEqual([
      [1, 'canceled'],
      [2, 'completed'],
      [3, 'aborted'],
      [4, 'completed'],
    ]);
    expect(jobs[2]).toMatchObject({
      reasons: ['job-aborted-by-system', 'document-format-error'],
      message: 'Filter failed, see "error_log"',
    });
    expect(jobs.map(jobNotPrinted)).toEqual([
      'was cancelled in CUPS',
      null,
      'was aborted in CUPS (Filter failed, see "error_log"; job-aborted-by-system; document-format-error)',
      null,
    ]);
    expect(parseFinishedJobs('ipptool: Unable to connect to "x": No such file or directory\n')).toEqual([]);
    expect(jobNumber('smsticket12ab-17')).toBe(17);
  });

  it('asks the same scheduler lp and lpstat use, with a deadline', () => {
    expect(queueUri('tickets', '/tmp/c d/cups.sock', null)).toBe('ipp://%2Ftmp%2Fc%20d%2Fcups.sock/printers/tickets');
    expect(queueUri('tickets', 'printhost', null)).toBe('ipp://printhost:631/printers/tickets');
    expect(queueUri('tickets', 'printhost:8631', null)).toBe('ipp://printhost:8631/printers/tickets');
    expect(queueUri('tickets', undefined, '/run/cups/cups.sock')).toBe('ipp://%2Frun%2Fcups%2Fcups.sock/printers/tickets');
    expect(queueUri('tickets', undefined, null)).toBe('ipp://localhost:631/printers/tickets');
    expect(() => queueUri('a/b', undefined, null)).toThrow(/not a CUPS queue name/);
    expect(ipptoolFinishedArgs('ipp://localhost:631/printers/t', '/w/f.test', 20)).toEqual([
      '-c',
      '-T',
      '20',
      'ipp://localhost:631/printers/t',
      '/w/f.test',
    ]);
  });
});

describe('the ticket', () => {
  const files = { event: '/t/event.txt', caption: '/t/caption.txt', code: '/t/code.txt' };
  const fonts = { regular: '/f/r.ttf', bold: '/f/b.ttf', mono: "/f/it's:mono.ttf" };

  it('fits the roll: 576 dots on 80 mm paper, 384 on 58 mm, QR modules in whole dots', () => {
    expect(ticketWidthDots(80)).toBe(576);
    expect(ticketWidthDots(58)).toBe(384);
    const layout = ticketLayout({
      width: 384,
      hasPoster: true,
      qrModules: 41,
      eventName: 'Fest',
      caption: 'c',
      code: 'AB12CD',
      files,
      fonts,
    });
    expect(layout.width).toBe(384);
    expect(layout.qr?.size).toBe(41 * 6);
    expect(layout.poster && layout.poster.x + layout.poster.width).toBeLessThanOrEqual(384);
    expect(layout.height % 2).toBe(0);
    const ys = layout.texts.map((t) => t.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(layout.height).toBeGreaterThan((layout.qr?.y ?? 0) + (layout.qr?.size ?? 0));
  });

  it('draws the text from files with shaping on, fonts escaped for the filter graph, as one grey PNG', () => {
    const layout = ticketLayout({
      width: 576,
      hasPoster: true,
      qrModules: 33,
      eventName: 'Fest',
      caption: 'c',
      code: 'AB12CD',
      files,
      fonts,
    });
    const args = ticketArgs({ layout, posterFile: '/p/0001.jpg', qrFile: '/t/qr.png', output: '/t/ticket.png' });
    const graph = args[args.indexOf('-filter_complex') + 1] as string;
    expect(graph.match(/text_shaping=1/g)).toHaveLength(3);
    expect(graph).toContain('textfile=/t/code.txt');
    expect(graph).toContain("fontfile=/f/it\\\\\\'s\\\\:mono.ttf");
    expect(graph).toContain('flags=neighbor');
    expect(args.slice(-1)).toEqual(['/t/ticket.png']);
    expect(args).toContain('/p/0001.jpg');
    // No QR code, no poster: neither input.
    const plain = ticketLayout({
      width: 576,
      hasPoster: false,
      qrModules: null,
      eventName: '',
      caption: 'c',
      code: 'AB12CD',
      files,
      fonts,
    });
    const plainArgs = ticketArgs({ layout: plain, posterFile: null, qrFile: null, output: '/t/ticket.png' });
    expect(plainArgs.filter((a) => a === '-i')).toHaveLength(1);
  });

  it('speaks the UI language', () => {
    expect(ticketCaption('he', true)).toBe('סרקו כדי למצוא את הסרט שלכם');
    expect(ticketCaption('ar', false)).toContain('الشاشة');
    expect(ticketCaption('en', true)).toBe('Scan to find your film');
  });
});

describe('printer settings', () => {
  it('are off by default and every bad one is named', () => {
    const base = { STATION_DATA_DIR: '/tmp/x' };
    const off = loadConfig(base);
    expect(off.ok && off.config.printer).toMatchObject({ queue: null, publish: 'public', paperMm: 80, lpOptions: [] });
    const on = loadConfig({ ...base, PRINTER: 'receipt', PRINT_PAPER_MM: '58', PRINT_LP_OPTIONS: 'fit-to-page  media=X58MMY200MM' });
    expect(on.ok && on.config.printer).toMatchObject({ queue: 'receipt', paperMm: 58, lpOptions: ['fit-to-page', 'media=X58MMY200MM'] });
    const bad = loadConfig({ ...base, PRINTER: 'a/b', PRINT_PAPER_MM: '70', PRINT_LP_OPTIONS: 'ok $(x)', PRINT_PUBLISH: 'some' });
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? [] : bad.errors.join('\n');
    for (const name of ['PRINTER', 'PRINT_PAPER_MM', 'PRINT_PUBLISH', 'PRINT_LP_OPTIONS']) expect(errors).toContain(name);
  });
});
