import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort, type ManagedProcess, spawnManaged, type TempDir, tempDir, waitFor } from '@stop-motion/e2e/harness';
import { uiRoot } from './station.js';
import { expectFrames, expectScreen } from './ui.js';

let dev: ManagedProcess;
let data: TempDir;
let url: string;

test.beforeAll(async () => {
  data = await tempDir('station-ui-dev');
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  dev = spawnManaged({
    name: 'station-ui dev',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', path.join(uiRoot, 'dev.ts')],
    cwd: uiRoot,
    env: {
      ...process.env,
      DEV_PORT: String(port),
      STATION_DATA_DIR: data.path,
      CAMERA_WIDTH: '640',
      CAMERA_HEIGHT: '360',
      CAMERA_FPS: '15',
      CAPTURE_LOCKOUT_MS: '0',
    },
  });
  await waitFor('the dev server to print its URL', () => dev.output().includes('station UI (hot reload)'), {
    timeoutMs: 60_000,
    failIf: () => (dev.running() ? undefined : dev.output()),
  });
});

test.afterAll(async () => {
  await dev?.stop();
  await data?.remove();
});

test('designer mode: Vite dev server proxies the station (control socket, live view, frames) and shows the button panel', async ({
  page,
}) => {
  await page.goto(url);
  await expect(page.getByTestId('conn')).toHaveAttribute('data-state', 'open', { timeout: 30_000 });
  // DESIGNER=true is dev.ts's default: the panel of physical buttons with their keys.
  const panel = page.getByTestId('designer');
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('Backspace');
  await expect
    .poll(() => page.getByTestId('live').evaluate((c) => Number((c as HTMLCanvasElement).dataset.frames ?? 0)))
    .toBeGreaterThan(2);
  // The panel presses through the station's simulated GPIO, like a real button.
  await panel.locator('[data-sim="capture"]').click();
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await panel.locator('[data-sim="capture"]').click();
  await expectFrames(page, 2);
  await panel.locator('[data-sim="undo"]').click();
  await expectFrames(page, 1);
});
