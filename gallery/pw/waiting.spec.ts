import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expect, test } from '@playwright/test';
import { movieKeys } from '@stop-motion/protocol';
import { newId, type Site, startSite } from './helpers.js';

// The waiting page's script reads the API's error body: it keeps waiting while the reason is
// "still on its way" (`not_yet`, `in_review`) and reloads into the true page on any other 404.

let site: Site;

test.beforeAll(async () => {
  site = await startSite(undefined, { MODERATION: 'pre' });
});
test.afterAll(async () => {
  await site?.close();
});

test('"waiting for review" keeps waiting through its polls, then turns into "not found" once refused', async ({ page }) => {
  const id = newId();
  let loads = 0;
  page.on('load', () => {
    loads++;
  });
  const polls: number[] = [];
  page.on('response', (res) => {
    if (res.url().endsWith(`/api/movies/${id}`)) polls.push(res.status());
  });
  await page.goto(`${site.url}/m/${id}?lang=en`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your film is waiting for review');
  // Two answers of 404 in_review, and the page was loaded once only: the script did not reload on them.
  await expect.poll(() => polls.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  expect(polls.slice(0, 2)).toEqual([404, 404]);
  expect(loads).toBe(1);

  const refused = JSON.stringify({ id, decision: 'takedown', at: new Date().toISOString() });
  await site.s3
    .client()
    .send(new PutObjectCommand({ Bucket: site.s3.bucket, Key: movieKeys(id).refused, Body: refused, ContentType: 'application/json' }));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Film not found', { timeout: 30_000 });
  expect(loads).toBeGreaterThanOrEqual(2);
});
