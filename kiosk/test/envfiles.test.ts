import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIOSK_DIR, REPO_DIR, run, runOk } from './helpers.js';

/** systemd EnvironmentFile= semantics for the simple files we write: KEY=value lines, # comments. */
function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = m[2] ?? '';
  }
  return env;
}

/** Environment= lines of a unit (EnvironmentFile wins over them, as in systemd). */
async function unitEnvironment(unit: string): Promise<Record<string, string>> {
  const text = await readFile(path.join(KIOSK_DIR, 'systemd', unit), 'utf8');
  return parseEnvironmentFile(
    text
      .split('\n')
      .filter((l) => l.startsWith('Environment='))
      .map((l) => l.slice('Environment='.length))
      .join('\n'),
  );
}

/** The env file as provisioning writes it: the template with the given keys set. */
async function provisioned(template: string, given: string[]): Promise<string> {
  const script = `source "${KIOSK_DIR}/lib/provision.sh"; render_env /nonexistent "$(<"$1")" "\${@:2}"`;
  return (await runOk('bash', ['-c', script, 'bash', path.join(KIOSK_DIR, 'templates', template), ...given])).stdout;
}

async function loadWithService(
  service: string,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<{ ok: boolean; errors?: string[]; buttons?: string; designer?: boolean }> {
  const result = await runOk(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', path.join(KIOSK_DIR, 'test', 'check-env.mjs'), service, ...extra],
    {
      cwd: REPO_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    },
  );
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
    ok: boolean;
    errors?: string[];
    buttons?: string;
    designer?: boolean;
  };
}

// The env files provisioning writes are accepted by each service's own config
// schema: same names, valid values.
describe('provisioned env files', () => {
  it('station-server.env', async () => {
    const text = await provisioned('station-server.env.in', [
      'STATION_ID=s11',
      'CAMERA=rpicam',
      'BUTTONS=gpiomon',
      'LOCALE=he',
      'DELIVERY_TARGET=rsync://station-s11@10.0.0.2/station-s11/',
      `RSYNC_PASSWORD_FILE=${path.join(KIOSK_DIR, 'templates', 'kiosk.env.in')}`,
      'GALLERY_PUBLIC_URL=https://films.example.org',
      'UI_RESTART_COMMAND=/usr/bin/touch /run/stop-motion-station/kiosk-restart',
    ]);
    const env = { ...(await unitEnvironment('station-server.service')), ...parseEnvironmentFile(text) };
    expect(env).toMatchObject({ STATION_ID: 's11', STATION_HOST: '127.0.0.1', UI_WATCHDOG_SECONDS: '60' });
    expect(await loadWithService('station-server', env)).toEqual({ ok: true });
  });

  it('a provisioned station reads real buttons, even when BUTTONS is left out of its env file', async () => {
    const text = await provisioned('station-server.env.in', ['STATION_ID=s11', 'UI_RESTART_COMMAND=/usr/bin/touch /run/x']);
    const unit = await unitEnvironment('station-server.service');
    expect(unit.NODE_ENV).toBe('production');
    const asWritten = { ...unit, ...parseEnvironmentFile(text) };
    expect(await loadWithService('station-server', asWritten, ['--buttons'])).toEqual({ ok: true, buttons: 'gpiomon', designer: false });
    const { BUTTONS: _dropped, ...withoutButtons } = asWritten;
    expect(await loadWithService('station-server', withoutButtons, ['--buttons'])).toEqual({
      ok: true,
      buttons: 'gpiomon',
      designer: false,
    });
  });

  it('processor.env', async () => {
    const text = await provisioned('processor.env.in', [
      'PLAYER=mpv',
      'EVENT_NAME=Festival 2026',
      'STATUS_TOKEN=0123456789abcdef0123456789abcdef',
      'S3_BUCKET=films',
      'S3_REGION=eu-central-1',
      'S3_FORCE_PATH_STYLE=false',
      'AWS_ACCESS_KEY_ID=AKIAEXAMPLE',
      'AWS_SECRET_ACCESS_KEY=secret',
      'GALLERY_PUBLIC_URL=https://films.example.org',
    ]);
    const env = { ...(await unitEnvironment('processor.service')), ...parseEnvironmentFile(text) };
    expect(env.EVENT_NAME).toBe('Festival 2026');
    expect(await loadWithService('processor', env)).toEqual({ ok: true });
  });

  it('gallery.env', async () => {
    const text = await provisioned('gallery.env.in', [
      'GALLERY_ADMIN_TOKEN=0123456789abcdef0123456789abcdef',
      'S3_BUCKET=films',
      'S3_REGION=eu-central-1',
      'AWS_ACCESS_KEY_ID=AKIAEXAMPLE',
      'AWS_SECRET_ACCESS_KEY=secret',
      'REDIS_URL=redis://127.0.0.1:6379',
      'GALLERY_PUBLIC_URL=https://films.example.org',
    ]);
    const env = { ...(await unitEnvironment('gallery.service')), ...parseEnvironmentFile(text) };
    expect(await loadWithService('gallery', env)).toEqual({ ok: true });
  });

  it('refuses a value that would add a line or change how systemd reads it, and writes nothing', async () => {
    const script = `source "${KIOSK_DIR}/lib/provision.sh"; render_env /nonexistent "$(<"$1")" "\${@:2}"`;
    const template = path.join(KIOSK_DIR, 'templates', 'processor.env.in');
    for (const [value, why] of [
      ['Festival\nSTATUS_TOKEN=mine', /newline/],
      ['Festival\rSTATUS_TOKEN=mine', /control character/],
      ['Festival\u001b[2J', /control character/],
      ['Festival \\', /backslash/],
      ['"Festival"', /leading quote/],
    ] as const) {
      const r = await run('bash', [
        '-c',
        script,
        'bash',
        template,
        `EVENT_NAME=${value}`,
        'STATUS_TOKEN=0123456789abcdef0123456789abcdef',
      ]).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
      expect(r.code, JSON.stringify(value)).not.toBe(0);
      expect(r.stdout, JSON.stringify(value)).toBe('');
      expect(r.stderr).toMatch(/EVENT_NAME: the value has/);
      expect(r.stderr).toMatch(why);
    }
    // Ordinary text with quotes and dashes inside is kept as given.
    const ok = await provisioned('processor.env.in', ['EVENT_NAME=Festival 2026 — "Kids" & friends', 'STATUS_TOKEN=abc']);
    expect(parseEnvironmentFile(ok)).toMatchObject({ EVENT_NAME: 'Festival 2026 — "Kids" & friends', STATUS_TOKEN: 'abc' });
    expect(ok.match(/^STATUS_TOKEN=/gm)).toHaveLength(1);
  });

  it('kiosk.env keeps Chromium DevTools off unless asked for', async () => {
    const text = await provisioned('kiosk.env.in', []);
    expect(parseEnvironmentFile(text).KIOSK_DEBUG_PORT).toBe('0');
  });

  it('a wrong value is reported (the check can fail)', async () => {
    const result = await loadWithService('station-server', { CAMERA: 'polaroid', STATION_DATA_DIR: '/tmp/x' });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.errors)).toMatch(/CAMERA/);
  });
});
