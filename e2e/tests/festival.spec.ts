// The festival end to end, with every real part: two stations make films at the
// same time through their UIs in Chromium, rsync delivers them, ffmpeg renders
// them, s3rver and Redis carry the public one to the gallery, mpv plays both.
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type Browser, expect, type Page, test } from '@playwright/test';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { galleryList, galleryMovie, processorStatus } from '../src/drive.js';
import { type Festival, startFestival } from '../src/festival.js';
import { MpvClient } from '../src/harness/mpv.js';
import { waitFor } from '../src/harness/process.js';
import { type TempDir, tempDir } from '../src/harness/tmp.js';
import { repoRoot } from '../src/services.js';

// jsqr is CommonJS: under NodeNext its default export is the module object.
const jsQR = jsqr.default;

test.describe.configure({ mode: 'serial' });

let dir: TempDir;
let festival: Festival;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dir = await tempDir('festival');
  festival = await startFestival({
    dataDir: dir.path,
    stations: 2,
    player: 'mpv',
    mpvArgs: ['--vo=null', '--ao=null'],
    redis: 'on',
    logLevel: 'warn',
    extraEnv: { station: { CAMERA_WIDTH: '640', CAMERA_HEIGHT: '360', CLAIM_NEXT_GESTURE: 'finishx3' } },
  });
});

test.afterAll(async () => {
  await festival?.stop();
  await dir?.remove();
});

const screen = (page: Page) => page.getByTestId('app');

/** A child at a station: a few pictures with the keyboard, then finish with a consent choice. */
async function makeFilmAtStation(page: Page, url: string, frames: number, publish: 'public' | 'private'): Promise<string | null> {
  await page.goto(`${url}/`);
  await expect(page.getByTestId('conn')).toHaveAttribute('data-state', 'open');
  // The last child's code is still up: the operator's "next child" gesture ends it.
  const state = (await (await fetch(`${url}/api/state`)).json()) as { claim?: unknown };
  if (state.claim) {
    await expect(screen(page)).toHaveAttribute('data-screen', 'claim');
    for (let i = 0; i < 3; i++) await page.keyboard.press('.');
    await expect(screen(page)).toHaveAttribute('data-screen', 'attract');
  }
  for (let i = 1; i <= frames; i++) {
    await page.keyboard.press('Space');
    await expect(page.getByTestId('strip')).toHaveAttribute('data-count', String(i));
    // The station ignores a capture within CAPTURE_LOCKOUT_MS (400 ms) of the last one,
    // as it would a child's double tap: press at a child's pace.
    await page.waitForTimeout(450);
  }
  await page.keyboard.press('.');
  await expect(screen(page)).toHaveAttribute('data-screen', 'consent');
  await page.getByTestId(publish === 'public' ? 'consent-public' : 'consent-private').click();
  await expect(screen(page)).toHaveAttribute('data-screen', 'claim');
  if (publish === 'private') return null;
  const qr = page.getByTestId('qr');
  await expect(qr).toBeVisible();
  const png = PNG.sync.read(await qr.screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  return context.newPage();
}

test('two stations film at once; the public film reaches the gallery, the private one only the big screen', async ({ browser }) => {
  test.setTimeout(240_000);
  const [station1, station2] = festival.stations;
  if (!station1 || !station2) throw new Error('two stations expected');
  const [page1, page2] = [await newPage(browser), await newPage(browser)];

  const [claimUrl] = await Promise.all([
    makeFilmAtStation(page1, station1.url, 6, 'public'),
    makeFilmAtStation(page2, station2.url, 5, 'private'),
  ]);
  expect(claimUrl).toMatch(new RegExp(`^${festival.gallery.url}/m/[0-9A-Z]{26}#k=[A-Za-z0-9_-]{16,64}$`));
  const publicId = new URL(claimUrl ?? '').pathname.split('/').pop() ?? '';
  const shortCode = await page1.getByTestId('short-code').textContent();
  expect(publicId.endsWith(shortCode ?? '-')).toBe(true);

  // Both delivered and rendered; find the private film's id on the processor.
  const status = await waitFor(
    'both films done on the processor',
    async () => {
      const s = await processorStatus(festival.processor);
      const done = s.jobs.filter((j) => j.state === 'done');
      return done.length === 2 ? s : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  const privateId = status.jobs.find((j) => j.id !== publicId)?.id ?? '';
  expect(status.jobs.find((j) => j.id === publicId)?.publish).toBe('public');
  expect(status.jobs.find((j) => j.id === privateId)?.publish).toBe('private');

  // Both are in mpv's own playlist, read over its IPC socket.
  const mpv = await MpvClient.connect(festival.mpvSocket);
  try {
    const files = await waitFor('both films in mpv’s playlist', async () => {
      const names = (await mpv.playlist()).map((e) => e.filename);
      return [publicId, privateId].every((id) => names.some((n) => n.includes(id))) ? names : undefined;
    });
    expect(files.filter((n) => n.includes(publicId))).toHaveLength(1);
    expect(files.filter((n) => n.includes(privateId))).toHaveLength(1);
  } finally {
    mpv.close();
  }

  // The gallery lists the public film and not the private one.
  await waitFor('the public film on the gallery', async () => (await galleryMovie(festival.gallery, publicId)) ?? undefined, {
    timeoutMs: 60_000,
  });
  expect(await galleryMovie(festival.gallery, privateId)).toBeNull();
  expect(await galleryList(festival.gallery)).toEqual([publicId]);

  // Pictures for the README's walkthrough (git-ignored; copied by hand when they change).
  const shots = path.join(repoRoot, 'e2e', 'screenshots');
  await page1.screenshot({ path: path.join(shots, 'station-claim.png') });
  const operator = await newPage(browser);
  await operator.goto(`${festival.processor.url}/`);
  await operator.screenshot({ path: path.join(shots, 'processor-status.png'), fullPage: true });

  // The claim screen's QR link opens that film's page, and the film plays in Chromium.
  const family = await newPage(browser);
  await family.goto(claimUrl ?? '');
  const video = family.locator('video');
  await expect(video).toBeVisible();
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
  await family.screenshot({ path: path.join(shots, 'gallery-film.png') });

  // A new film is queued next: right after the one on screen when it arrived.
  const mpv2 = await MpvClient.connect(festival.mpvSocket);
  try {
    const before = (await mpv2.playlist()).length;
    const [, queuedId] = await Promise.all([
      makeFilmAtStation(page2, station2.url, 3, 'private'),
      waitFor('a third job on the processor', async () => {
        const s = await processorStatus(festival.processor);
        return s.jobs.find((j) => j.id !== publicId && j.id !== privateId)?.id;
      }),
    ]);
    const placement = await waitFor(
      'the new film in mpv’s playlist',
      async () => {
        const list = await mpv2.playlist();
        const at = list.findIndex((e) => e.filename.includes(queuedId));
        if (at < 0) return undefined;
        return { at, current: list.findIndex((e) => e.current), length: list.length };
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(placement.length).toBe(before + 1);
    // Either it sits right after the film on screen, or it has already started.
    expect([placement.current + 1, placement.current]).toContain(placement.at);
  } finally {
    mpv2.close();
  }

  // Moderation hides the public film from the gallery and from the big screen.
  const res = await fetch(`${festival.gallery.url}/api/admin/movies/${publicId}/hide`, {
    method: 'POST',
    headers: { authorization: `Bearer ${festival.adminToken}` },
  });
  expect(res.status).toBe(200);
  await waitFor('the hidden film to leave the gallery', async () => !(await galleryList(festival.gallery)).includes(publicId), {
    timeoutMs: 10_000,
  });
  await family.reload();
  await expect(family.locator('video')).toHaveCount(0);
  await waitFor(
    'the hidden film to leave the big screen',
    async () => !(await processorStatus(festival.processor)).playlist.includes(publicId),
    {
      timeoutMs: 10_000,
    },
  );
  const mpv3 = await MpvClient.connect(festival.mpvSocket);
  try {
    await waitFor(
      'the hidden film to leave mpv’s playlist',
      async () => (await mpv3.playlist()).every((e) => !e.filename.includes(publicId)),
      {
        timeoutMs: 10_000,
      },
    );
  } finally {
    mpv3.close();
  }

  // The family then removes it for good with the key from its QR link: only the
  // tombstone stays in S3, and moderation cannot bring it back.
  const key = new URL(claimUrl ?? '').hash.replace(/^#k=/, '');
  const removed = await fetch(`${festival.gallery.url}/api/movies/${publicId}/remove`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  expect(removed.status).toBe(200);
  const listed = await festival.s3.client().send(new ListObjectsV2Command({ Bucket: festival.s3.bucket, Prefix: `movies/${publicId}/` }));
  expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`movies/${publicId}/REMOVED`]);
  const unhide = await fetch(`${festival.gallery.url}/api/admin/movies/${publicId}/unhide`, {
    method: 'POST',
    headers: { authorization: `Bearer ${festival.adminToken}` },
  });
  expect(unhide.status).toBe(410);
  expect(await galleryMovie(festival.gallery, publicId)).toBeNull();
});
