/**
 * Station UI benchmarks in Debian's Chromium against a real station-server with the
 * test camera. Printed, not asserted.
 *
 *   npm run bench -w @stop-motion/station-ui
 *
 * BENCH_PLAY_FRAMES (300), BENCH_CAPTURES (100), BENCH_SOAK_MOVIES (20) and
 * BENCH_SOAK_FRAMES (50 per movie) shrink the runs on a slow machine.
 */
import { type Browser, type CDPSession, chromium, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '@stop-motion/e2e/harness';
import { type Station, startStation } from '../pw/station.js';

const PLAY_FRAMES = Number(process.env.BENCH_PLAY_FRAMES ?? 300);
const CAPTURES = Number(process.env.BENCH_CAPTURES ?? 100);
const SOAK_MOVIES = Number(process.env.BENCH_SOAK_MOVIES ?? 20);
const SOAK_FRAMES = Number(process.env.BENCH_SOAK_FRAMES ?? 50);

const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function open(browser: Browser, station: Station, query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  // tsx keeps function names with a `__name` helper that functions sent to the page also call.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(`${station.url}/${query}`);
  await page.locator('[data-testid="conn"][data-state="open"]').waitFor();
  return page;
}

async function apiCaptures(station: Station, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${station.url}/api/capture`, { method: 'POST' });
    if (!res.ok) throw new Error(`capture ${i}: HTTP ${res.status} ${await res.text()}`);
    times.push(performance.now() - t0);
  }
  return times;
}

async function playback(browser: Browser, fps: number): Promise<void> {
  const station = await startStation({ MOVIE_FPS: String(fps), MAX_FRAMES: String(Math.max(PLAY_FRAMES, 1)), CAMERA_FPS: '30' });
  try {
    const t0 = performance.now();
    await apiCaptures(station, PLAY_FRAMES);
    const captureSecs = (performance.now() - t0) / 1000;
    const page = await open(browser, station, '?trace=1');
    await page.keyboard.press('0');
    await page.locator('[data-testid="app"][data-screen="play"]').waitFor();
    // One full loop plus the first frame again.
    await page.waitForFunction((n) => (window.__smsPaints?.length ?? 0) > n, PLAY_FRAMES, {
      timeout: (PLAY_FRAMES / fps) * 1000 + 60_000,
      polling: 500,
    });
    const paints = (await page.evaluate(() => window.__smsPaints ?? [])).slice(0, PLAY_FRAMES + 1);
    const interval = 1000 / fps;
    let inOrder = 0;
    let onTime = 0;
    let worst = 0;
    const durations: number[] = [];
    for (let i = 1; i < paints.length; i++) {
      const [prevIndex, prevAt] = paints[i - 1] ?? [0, 0];
      const [index, at] = paints[i] ?? [0, 0];
      if (index === (prevIndex + 1) % PLAY_FRAMES) inOrder++;
      const d = at - prevAt;
      durations.push(d);
      worst = Math.max(worst, Math.abs(d - interval));
      if (Math.abs(d - interval) <= 1000 / 60 + 0.5) onTime++;
    }
    const distinct = new Set(paints.map(([i]) => i)).size;
    console.log(
      `playback ${fps} fps, ${PLAY_FRAMES} frames (made in ${captureSecs.toFixed(1)} s): painted ${distinct}/${PLAY_FRAMES} distinct, ` +
        `${inOrder}/${paints.length - 1} steps in order (none skipped = all), ${onTime}/${durations.length} shown ${ms(interval)} ± 16.7 ms; ` +
        `p50 ${ms(pct(durations, 50))}, p95 ${ms(pct(durations, 95))}, worst deviation ${ms(worst)}`,
    );
    await page.close();
  } finally {
    await station.stop();
  }
}

async function pressToThumbnail(browser: Browser): Promise<void> {
  const station = await startStation({ CAMERA_FPS: '30', MAX_FRAMES: String(CAPTURES * 2 + 10) });
  try {
    const baseline = await apiCaptures(station, Math.min(20, CAPTURES));
    const page = await open(browser, station);
    await page.keyboard.press('Enter'); // leave the invitation
    await page.locator(`[data-testid="strip"][data-count="${baseline.length + 1}"]`).waitFor();
    const times: number[] = [];
    const toState: number[] = [];
    for (let i = 0; i < CAPTURES; i++) {
      const [total, state] = await page.evaluate(
        () =>
          new Promise<[number, number]>((resolve, reject) => {
            const strip = document.querySelector<HTMLElement>('[data-testid="strip"]');
            if (!strip) return reject(new Error('no strip'));
            const want = Number(strip.dataset.count) + 1;
            const t0 = performance.now();
            let tState = 0;
            window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter' }));
            const check = () => {
              if (!tState && Number(strip.dataset.count) === want) tState = performance.now() - t0;
              const imgs = [...strip.querySelectorAll<HTMLImageElement>('.strip-cell.newest img')];
              if (tState && imgs.some((img) => img.complete && img.naturalWidth > 0)) {
                // The frame after the image is ready is the one that shows it.
                requestAnimationFrame(() => resolve([performance.now() - t0, tState]));
                return;
              }
              if (performance.now() - t0 > 10_000) return reject(new Error('no thumbnail in 10 s'));
              requestAnimationFrame(check);
            };
            requestAnimationFrame(check);
          }),
      );
      times.push(total);
      toState.push(state);
    }
    console.log(
      `  of which press → frame.added rendered in the strip: p50 ${ms(pct(toState, 50))}, p95 ${ms(pct(toState, 95))}; ` +
        `image load + paint after that: p50 ${ms(
          pct(
            times.map((t, i) => t - (toState[i] ?? 0)),
            50,
          ),
        )}, p95 ${ms(
          pct(
            times.map((t, i) => t - (toState[i] ?? 0)),
            95,
          ),
        )}`,
    );
    console.log(
      `press → thumbnail painted, ${CAPTURES} captures: p50 ${ms(pct(times, 50))}, p95 ${ms(pct(times, 95))}, max ${ms(Math.max(...times))}; ` +
        `baseline POST /api/capture round trip p50 ${ms(pct(baseline, 50))}, p95 ${ms(pct(baseline, 95))} ` +
        `(UI adds ${ms(pct(times, 95) - pct(baseline, 95))} at p95, ratio ${(pct(times, 95) / pct(baseline, 95)).toFixed(2)})`,
    );
    await page.close();
  } finally {
    await station.stop();
  }
}

async function measure(cdp: CDPSession): Promise<{ heapMB: number; nodes: number; listeners: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  // DOM counters after the forced GC: live nodes, attached or not.
  const dom = await cdp.send('Memory.getDOMCounters');
  return { heapMB: usedSize / 1e6, nodes: dom.nodes, listeners: dom.jsEventListeners };
}

async function soak(browser: Browser): Promise<void> {
  const station = await startStation({ CAMERA_FPS: '30', CLAIM_SECONDS: '3600' });
  try {
    const page = await open(browser, station);
    const cdp = await page.context().newCDPSession(page);
    const key = (k: string) => page.evaluate((key) => window.dispatchEvent(new KeyboardEvent('keydown', { key, code: key })), k);
    // locator.waitFor, not page.waitForSelector: the handles the latter returns keep
    // the elements alive and would show up as a DOM "leak" of the page.
    const screen = (s: string) => page.locator(`[data-testid="app"][data-screen="${s}"]`).waitFor();
    const frames = (n: number) => page.locator(`[data-testid="strip"][data-count="${n}"]`).waitFor();
    let first: Awaited<ReturnType<typeof measure>> | null = null;
    let last: Awaited<ReturnType<typeof measure>> | null = null;
    const t0 = performance.now();
    for (let m = 0; m < SOAK_MOVIES; m++) {
      for (let f = 1; f <= SOAK_FRAMES; f++) {
        await key('Enter');
        await frames(f);
      }
      await key('0');
      await screen('play');
      await page.waitForTimeout(1500);
      await key('0');
      await screen('make');
      await key('.');
      await screen('consent');
      await key(m % 2 ? '0' : '.');
      await screen('claim');
      // The claim screen holds every press; the operator's gesture (finish × 3) ends it.
      for (let i = 0; i < 3; i++) await key('.');
      await screen('attract');
      await key('Enter');
      await screen('make');
      await frames(1);
      await key('Backspace');
      await frames(0);
      if (m === 0) first = await measure(cdp);
    }
    last = await measure(cdp);
    const secs = (performance.now() - t0) / 1000;
    if (!first || !last) return;
    console.log(
      `memory soak, ${SOAK_MOVIES} movies × ${SOAK_FRAMES} captures (= ${SOAK_MOVIES * SOAK_FRAMES}) with play and finish, ${secs.toFixed(0)} s: ` +
        `JS heap after GC ${first.heapMB.toFixed(2)} MB after the first movie → ${last.heapMB.toFixed(2)} MB after the last ` +
        `(growth ${(last.heapMB - first.heapMB).toFixed(2)} MB); DOM nodes ${first.nodes} → ${last.nodes}, JS event listeners ${first.listeners} → ${last.listeners}`,
    );
    await page.close();
  } finally {
    await station.stop();
  }
}

const browser = await chromium.launch(chromiumLaunchOptions());
try {
  console.log(`station-ui bench (Chromium ${browser.version()}, ${new Date().toISOString()})`);
  const only = process.argv.slice(2);
  if (only.length === 0 || only.includes('playback')) {
    await playback(browser, 10);
    await playback(browser, 15);
  }
  if (only.length === 0 || only.includes('capture')) await pressToThumbnail(browser);
  if (only.length === 0 || only.includes('soak')) await soak(browser);
} finally {
  await browser.close();
}
