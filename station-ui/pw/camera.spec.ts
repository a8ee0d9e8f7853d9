import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { type TempDir, tempDir } from '@stop-motion/e2e/harness';
import { type Station, simPress, startStation } from './station.js';
import { expectFrames, expectScreen } from './ui.js';

let station: Station;
let dir: TempDir;
let marker: string;

test.beforeEach(async () => {
  dir = await tempDir('camera-away');
  marker = path.join(dir.path, 'plugged-in');
  // Real ffmpeg asked for /dev/video9, which is not there, until the "camera is plugged in";
  // then the same program plays a test scene, as the webcam would.
  const ffmpeg = path.join(dir.path, 'ffmpeg');
  await writeFile(
    ffmpeg,
    `#!/bin/sh\nif [ -e '${marker}' ]; then exec ffmpeg -nostdin -v error -re -f lavfi -i testsrc2=s=640x360:r=15 -q:v 5 -flush_packets 1 -f mjpeg pipe:1; fi\nexec ffmpeg "$@"\n`,
    { mode: 0o755 },
  );
  station = await startStation({
    CAMERA: 'v4l2',
    CAMERA_DEVICE: '/dev/video9',
    CAMERA_COMMAND: ffmpeg,
    // No v4l2-ctl: the camera is opened in MJPEG without asking it for its modes.
    CAMERA_CONTROL_COMMAND: path.join(dir.path, 'no-v4l2-ctl'),
  });
});
test.afterEach(async () => {
  await station.stop();
  await dir.remove();
});

test('a camera that is gone shows the sleeping-camera picture and a dim capture button, and wakes when it returns', async ({ page }) => {
  // Not openStation: that waits for a running camera, and this one is gone.
  await page.goto(`${station.url}/`);
  await expect(page.getByTestId('conn')).toHaveAttribute('data-state', 'open');
  await page.keyboard.press('Enter');
  await expectScreen(page, 'make');
  const asleep = page.getByTestId('camera-asleep');
  // The camera has been away since the station started, so the picture is there at once;
  // no timing is asserted (a loaded machine is slower, not wrong).
  await expect(asleep).toBeVisible();
  const capture = page.locator('[data-action="capture"]');
  await expect(capture).toHaveAttribute('aria-disabled', 'true');

  // The station reports it, with the reason, to the operator and the status the processor reads.
  // On a loaded machine the first reason can be the frame watchdog's ("no frame for 2000 ms")
  // before ffmpeg has said why; a later attempt brings ffmpeg's own words.
  const camera = async () =>
    ((await (await fetch(`${station.url}/api/state`)).json()) as { camera: { state: string; message?: string } }).camera;
  await expect.poll(async () => (await camera()).message ?? '', { timeout: 30_000 }).toContain('video9');
  expect(['restarting', 'failed']).toContain((await camera()).state);
  // A press does not make a frame.
  await simPress(station, 'capture');
  await expect(page.getByTestId('strip')).toHaveAttribute('data-count', '0');

  await writeFile(marker, '');
  await expect(asleep).toHaveCount(0, { timeout: 30_000 });
  await expect(capture).not.toHaveAttribute('aria-disabled', 'true');
  await simPress(station, 'capture');
  await expectFrames(page, 1);
});
