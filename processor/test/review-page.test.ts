import path from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { chromiumLaunchOptions, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { writePackage } from './helpers.js';

const TOKEN = 'review-page-token-for-the-test';

// The review section in Debian's Chromium: sign in with the token, play, approve.
describe('the review page', () => {
  let dir: TempDir;
  let p: Processor;
  let browser: Browser;

  beforeAll(async () => {
    dir = await tempDir('proc-review-page');
    p = await startProcessor(
      loadConfig({
        PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
        PROCESSOR_PORT: '0',
        PLAYER: 'none',
        TITLE_SECONDS: '0.5',
        RENDER_THREADS: '1',
        RENDER_PREVIEW: 'false',
        MODERATION: 'pre',
        CONTROL_TOKEN: TOKEN,
      }),
      { logger: pino({ level: 'silent' }) },
    );
    browser = await chromium.launch(chromiumLaunchOptions());
  });

  afterAll(async () => {
    await browser?.close();
    await p?.close();
    await dir?.remove();
  });

  it('lists a film waiting, plays it and approves it', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 6, publish: 'public', title: 'Waiting in the page' });
    await waitFor('the film in review', () => p.pipeline.job(id)?.state === 'review', { timeoutMs: 120_000, intervalMs: 100 });
    // REVIEW_ON_SCREEN defaults to true: on the big screen's playlist while it waits.
    expect(p.player.status().playlist).toContain(id);
    const page = await browser.newPage();
    try {
      await page.goto(`${p.url}/review`);
      // No data before the token: the page asks for it.
      await page.locator('[data-review-login]').waitFor({ state: 'visible' });
      expect(await page.locator('[data-review-list] li').count()).toBe(0);
      await page.fill('input[name=token]', TOKEN);
      await page.click('[data-review-login] button');
      const item = page.locator(`li[data-id="${id}"]`);
      await item.waitFor();
      expect(await item.locator('h3').textContent()).toContain('Waiting in the page');
      await item.getByRole('button', { name: 'Play' }).click();
      type Video = { src: string; readyState: number; duration: number };
      const duration = await waitFor('the film loaded in the player', () =>
        item.locator('video').evaluate((v: unknown) => {
          const video = v as Video;
          return video.src.startsWith('blob:') && video.readyState >= 1 ? video.duration : null;
        }),
      );
      expect(duration).toBeGreaterThan(0);
      await item.getByRole('button', { name: 'Approve' }).click();
      await page.locator('[data-review-status]', { hasText: 'Approve: done' }).waitFor();
      // No bucket here: approved means done, and it leaves the list.
      expect(p.pipeline.job(id)?.state).toBe('done');
      await item.waitFor({ state: 'detached' });
    } finally {
      await page.close();
    }
  });

  it('the control room holds the same queue: play a film and take it down there', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 6, publish: 'public', title: 'Waiting in the control room' });
    await waitFor('the film in review', () => p.pipeline.job(id)?.state === 'review', { timeoutMs: 120_000, intervalMs: 100 });
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) refused.push(m.text());
    });
    try {
      // The token in the address becomes the page's cookie; the review section asks for it once more (its API takes a bearer).
      await page.goto(`${p.url}/control?token=${TOKEN}`);
      await page.locator('#review [data-review-login]').waitFor({ state: 'visible' });
      await page.fill('#review input[name=token]', TOKEN);
      await page.click('#review [data-review-login] button');
      const item = page.locator(`#review li[data-id="${id}"]`);
      await item.waitFor();
      await item.getByRole('button', { name: 'Play' }).click();
      await waitFor('the film loaded in the control room', () =>
        item.locator('video').evaluate((v: unknown) => ((v as { readyState: number }).readyState >= 1 ? true : null)),
      );
      await item.getByRole('button', { name: 'Take down' }).click();
      await page.locator('#review [data-review-status]', { hasText: 'Take down: done' }).waitFor();
      await item.waitFor({ state: 'detached' });
      expect(p.pipeline.job(id)?.state).not.toBe('review');
      expect(refused).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
