/**
 * Claim-ticket benchmark (printed, not asserted): how long `movie.finish` takes with
 * no printer (the baseline, same process) and with a real CUPS queue (a private cupsd
 * with a cups-pdf queue), and how long a ticket takes from the finish to its PDF.
 * Needs root and Debian's cups + printer-driver-cups-pdf (as the ticket tests).
 * Knob: BENCH_TICKET_FINISHES (20).
 */
import { stat } from 'node:fs/promises';
import { waitFor } from '@stop-motion/e2e';
import { cupsUnavailable, startCups } from '../test/cups.js';
import { startTestStation } from '../test/helpers.js';

const finishes = Math.max(1, Number(process.env.BENCH_TICKET_FINISHES) || 20);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Finishes one-frame films back to back (tickets pile up behind them); the finish times, and when each finish began (epoch ms). */
async function run(env: Record<string, string>, beforeStop?: () => Promise<void>): Promise<{ times: number[]; starts: number[] }> {
  const s = await startTestStation({ GALLERY_PUBLIC_URL: 'https://films.example.org', ...env });
  const times: number[] = [];
  const starts: number[] = [];
  try {
    for (let i = 0; i < finishes; i++) {
      await s.station.capture();
      starts.push(Date.now());
      const t0 = performance.now();
      await s.station.finish({ publish: 'public' });
      times.push(performance.now() - t0);
    }
    await beforeStop?.();
    return { times, starts };
  } finally {
    await s.remove();
  }
}

const why = cupsUnavailable();
if (why) {
  console.log(`ticket benchmark needs a CUPS server it can start: ${why}`);
  process.exit(0);
}

const baseline = (await run({})).times;
const cups = await startCups();
try {
  const queue = await cups.addQueue();
  const printed = await run({ PRINTER: queue.name, CUPS_SERVER: cups.server, PRINT_CHECK_SECONDS: '1' }, () =>
    waitFor('every ticket PDF', async () => (await queue.pdfs()).length === finishes, { timeoutMs: 300_000, intervalMs: 50 }).then(
      () => undefined,
    ),
  );
  const withPrinter = printed.times;
  // Tickets print in order: the n-th PDF (by the time cups-pdf finished it) is the n-th finish's.
  const written = (await Promise.all((await queue.pdfs()).map(async (f) => (await stat(f)).mtimeMs))).sort((a, b) => a - b);
  const toPdf = written.map((t, i) => t - (printed.starts[i] as number));
  console.log(`finish, no printer:   p50 ${ms(pct(baseline, 50))}, p95 ${ms(pct(baseline, 95))} (${finishes} finishes)`);
  console.log(
    `finish, CUPS printer: p50 ${ms(pct(withPrinter, 50))}, p95 ${ms(pct(withPrinter, 95))}; ` +
      `ratio to no printer: p50 ${(pct(withPrinter, 50) / pct(baseline, 50)).toFixed(2)}, p95 ${(pct(withPrinter, 95) / pct(baseline, 95)).toFixed(2)}`,
  );
  console.log(
    `finish → ticket PDF written by cups-pdf (finishes back to back, tickets queued): p50 ${ms(pct(toPdf, 50))}, p95 ${ms(pct(toPdf, 95))}`,
  );
} finally {
  await cups.stop();
}
