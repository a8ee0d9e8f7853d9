import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freePort, freeze, tempDir, waitFor } from '@stop-motion/e2e';
import type { FinishResult, PrinterStatus, StationState } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cupsUnavailable, pdfToPng, readQrCodes, startCups, type TestCups } from './cups.js';
import { ControlClient, startTestStation, type TestStation } from './helpers.js';

/**
 * Claim tickets against a real CUPS scheduler (a private cupsd with cups-pdf queues):
 * the PDF that comes out is rasterised with pdftoppm and its QR code read with zbarimg.
 */
const skip = cupsUnavailable();
if (skip) console.warn(`claim ticket tests skipped: ${skip}`);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function station(cups: TestCups, env: Record<string, string>, log?: pino.Logger): Promise<TestStation> {
  const s = await startTestStation(
    {
      CUPS_SERVER: cups.server,
      GALLERY_PUBLIC_URL: 'https://films.example.org',
      PRINT_CHECK_SECONDS: '1',
      ...env,
    },
    log ? { log } : {},
  );
  cleanups.push(() => s.remove());
  return s;
}

async function control(s: TestStation): Promise<ControlClient> {
  const c = await ControlClient.connect(s.url);
  cleanups.push(() => c.close());
  return c;
}

async function state(s: TestStation): Promise<StationState> {
  return (await (await fetch(`${s.url}/api/state`)).json()) as StationState;
}

async function printerIs(s: TestStation, check: (p: PrinterStatus) => boolean, what: string): Promise<PrinterStatus> {
  return waitFor(`printer ${what}`, async () => {
    const p = (await state(s)).printer;
    return p && check(p) ? p : undefined;
  });
}

/**
 * One frame. Printing loads the machine (Ghostscript, ffmpeg), and on a loaded machine the
 * test camera may stall and restart: a capture refused for that is tried again.
 */
async function capture(c: ControlClient): Promise<void> {
  await waitFor('a capture', async () => {
    const r = await c.request('movie.capture');
    if (!r.ok && r.error.code !== 'camera_unavailable') throw new Error(`capture refused: ${r.error.message}`);
    return r.ok;
  });
}

/** Three frames and a finish through the control socket, as the UI does it. */
async function finishFilm(c: ControlClient): Promise<FinishResult> {
  for (let i = 0; i < 3; i++) await capture(c);
  const reply = await c.request('movie.finish', { publish: 'public' });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.data as FinishResult;
}

describe.skipIf(skip !== null)('claim tickets through CUPS', () => {
  let cups: TestCups;
  beforeAll(async () => {
    cups = await startCups();
  }, 60_000);
  afterAll(async () => {
    await cups?.stop();
  });

  it('a finished film prints a ticket whose QR code is the family link and whose code is the short code', async () => {
    const queue = await cups.addQueue();
    const s = await station(cups, { PRINTER: queue.name, LOCALE: 'ar', EVENT_NAME: 'مهرجان القدس' });
    await printerIs(s, (p) => p.state === 'ok', 'ready');
    const c = await control(s);
    const result = await finishFilm(c);
    // The claim screen is up as before.
    expect((await state(s)).claim?.movieId).toBe(result.movieId);
    expect(result.claimUrl).toBe(`https://films.example.org/m/${result.movieId}#k=${result.ownerKey}`);
    expect(result.shortCode).toBe(result.movieId.slice(-6));

    // CUPS is done with the job once cups-pdf has written the whole file.
    const done = await printerIs(s, (p) => p.printed === 1 && p.state === 'ok', 'done with the ticket');
    expect(done).toMatchObject({ queue: queue.name, pending: 0 });
    expect(done.message).toBeUndefined();
    const [pdf, ...more] = await queue.pdfs();
    expect(more).toEqual([]);
    const dir = await tempDir('ticket-png');
    cleanups.push(() => dir.remove());
    const png = path.join(dir.path, 'ticket.png');
    pdfToPng(pdf as string, png);
    expect(readQrCodes(png)).toEqual([result.claimUrl]);

    // No ticket for a private film (PRINT_PUBLISH=public) nor for an abandoned one: none is queued.
    for (const params of [{ publish: 'private' }, { publish: 'public', abandoned: true }]) {
      await capture(c);
      expect(await c.request('movie.finish', params)).toMatchObject({ ok: true });
      expect(s.station.snapshot().printer).toMatchObject({ pending: 0, printed: 1 });
    }
    if (process.env.UPDATE_README_PICTURES) {
      await mkdir(path.join(import.meta.dirname, '../readme'), { recursive: true });
      // The cups-pdf queue puts the ticket on an A4 page: the picture keeps the ticket only.
      const picture = path.join(import.meta.dirname, '../readme/claim-ticket.png');
      execFileSync('convert', [png, '-trim', '-bordercolor', 'white', '-border', '24', picture], { timeout: 30_000 });
    }
  }, 90_000);

  it('a queue that does not exist is a problem on the operator state, and a finish goes on as before', async () => {
    const missing = `smsticket${process.pid}missing`;
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const s = await station(cups, { PRINTER: missing }, log);
    const p = await printerIs(s, (p) => p.state === 'problem', 'a problem');
    expect(p.message).toContain(`no CUPS queue "${missing}"`);
    const c = await control(s);
    const result = await finishFilm(c);
    expect((await state(s)).claim?.movieId).toBe(result.movieId);
    const after = await printerIs(s, (p) => p.pending === 0, 'done trying');
    expect(after.state).toBe('problem');
    expect(after.printed).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'printer.problem', queue: missing, reason: p.message }));
    const failed = await waitFor('a ticket.failed line', () => lines.find((l) => l.event === 'ticket.failed'));
    expect(failed).toMatchObject({ movieId: result.movieId, queue: missing });
    expect(String(failed.reason)).toMatch(/^lp failed \(exit 1\)/);
    // The link carries the owner key: it goes on paper, never into a log.
    expect(JSON.stringify(lines)).not.toContain(result.ownerKey);
  }, 60_000);

  it('a stopped queue is a problem with its reason; the ticket waits in CUPS and prints once the queue is started', async () => {
    const queue = await cups.addQueue();
    cups.admin('cupsdisable', ['-r', 'paper jam', queue.name]);
    const s = await station(cups, { PRINTER: queue.name });
    const p = await printerIs(s, (p) => p.state === 'problem', 'a problem');
    expect(p.message).toBe('the queue is stopped: paper jam');
    const c = await control(s);
    const result = await finishFilm(c);
    expect((await state(s)).claim?.movieId).toBe(result.movieId);
    // The job is in CUPS, held by the stopped queue.
    await printerIs(s, (p) => p.pending === 1 && p.state === 'problem', 'holding the job');
    expect(await queue.pdfs()).toEqual([]);
    cups.admin('cupsenable', [queue.name]);
    await printerIs(s, (p) => p.state === 'ok' && p.printed === 1 && p.pending === 0, 'fine again');
    expect(await queue.pdfs()).toHaveLength(1);
  }, 90_000);

  it('a ticket cancelled in CUPS is not counted as printed: a problem with its reason until the next one prints', async () => {
    const queue = await cups.addQueue();
    cups.admin('cupsdisable', [queue.name]);
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const s = await station(cups, { PRINTER: queue.name }, log);
    const c = await control(s);
    const result = await finishFilm(c);
    await printerIs(s, (p) => p.pending === 1, 'holding the job');
    const jobId = await waitFor('the job in CUPS', () => /^(\S+-\d+)\s/m.exec(cups.admin('lpstat', ['-o', queue.name]))?.[1]);
    cups.admin('cancel', [jobId]);
    cups.admin('cupsenable', [queue.name]);
    // The queue's own problem (stopped) may show first; the cancelled ticket's stays after it is started.
    const p = await printerIs(
      s,
      (p) => p.pending === 0 && p.state === 'problem' && /cancelled/.test(p.message ?? ''),
      'the cancelled ticket',
    );
    expect(p.printed).toBe(0);
    expect(p.lastPrintedAt).toBeNull();
    expect(p.message).toMatch(new RegExp(`^ticket not printed: job ${jobId} was cancelled in CUPS`));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'ticket.failed', movieId: result.movieId, jobId, jobState: 'canceled' }));
    expect(lines.find((l) => l.event === 'ticket.printed')).toBeUndefined();
    expect(await queue.pdfs()).toEqual([]);
    // The next ticket prints: counted, and the problem is over.
    await finishFilm(c);
    const ok = await printerIs(s, (p) => p.printed === 1 && p.pending === 0, 'the next ticket printed');
    expect(ok.state).toBe('ok');
    expect(ok.message).toBeUndefined();
    expect(await queue.pdfs()).toHaveLength(1);
  }, 120_000);

  it('a network printer that does not answer keeps the job waiting, shown as a problem after PRINT_JOB_TIMEOUT_SECONDS', async () => {
    // Nothing listens on that port: CUPS's socket backend keeps trying to reach the printer.
    const queue = await cups.addQueue({ uri: `socket://127.0.0.1:${await freePort()}` });
    const s = await station(cups, { PRINTER: queue.name, PRINT_JOB_TIMEOUT_SECONDS: '2' });
    await printerIs(s, (p) => p.state === 'ok', 'ready');
    const c = await control(s);
    const result = await finishFilm(c);
    expect((await state(s)).claim?.movieId).toBe(result.movieId);
    const p = await printerIs(s, (p) => p.state === 'problem' && /not printed/.test(p.message ?? ''), 'a late ticket');
    expect(p.pending).toBe(1);
    expect(p.message).toMatch(/1 ticket\(s\) not printed after \d+ s \(job smsticket\d+[0-9a-f]{6}-\d+\)/);
  }, 90_000);

  it('a scheduler that stops answering (SIGSTOP) never holds up a finish and shows as a problem', async () => {
    const queue = await cups.addQueue();
    const s = await station(cups, { PRINTER: queue.name, PRINT_COMMAND_TIMEOUT_SECONDS: '2' });
    await printerIs(s, (p) => p.state === 'ok', 'ready');
    const c = await control(s);
    await freeze(cups.process.pid as number);
    cleanups.push(() => void cups.process.kill('SIGCONT'));
    const result = await finishFilm(c);
    // Answered while the ticket is still on its way: the finish did not wait for it.
    expect(s.station.snapshot().printer?.pending).toBe(1);
    expect((await state(s)).claim?.movieId).toBe(result.movieId);
    const p = await printerIs(s, (p) => p.state === 'problem' && p.pending === 0, 'a problem');
    expect(p.message).toMatch(/did not finish within 2 s/);
    cups.process.kill('SIGCONT');
    await printerIs(s, (p) => p.state === 'ok', 'fine again');
  }, 90_000);
});
