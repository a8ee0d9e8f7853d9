import { existsSync } from 'node:fs';

/** Debian's Chromium; Playwright never downloads a browser of its own here. */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : '/usr/bin/chromium-browser');

/**
 * Launch options for Playwright. As root Chromium needs --no-sandbox; the
 * background-networking flags keep it from reaching for hosts this network lacks.
 */
export function chromiumLaunchOptions(extraArgs: string[] = []): { executablePath: string; args: string[] } {
  const args = [
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    ...extraArgs,
  ];
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  return { executablePath: CHROMIUM_PATH, args };
}
