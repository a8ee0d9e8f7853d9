import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/src/harness/chromium.js';

// Browser tests of the UI workspaces live in `<workspace>/pw/*.spec.ts`; cross-part
// tests in `e2e/tests`. Each spec starts the real services it needs on free ports.
const projects = ['station-ui', 'gallery', 'e2e'].map((name) => ({
  name,
  testDir: name === 'e2e' ? './e2e/tests' : `./${name}/pw`,
}));

export default defineConfig({
  // Package names resolve to the workspaces' sources, so specs run without a build first.
  tsconfig: './tsconfig.playwright.json',
  projects,
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(),
    viewport: { width: 1280, height: 720 },
    trace: 'off',
  },
});
