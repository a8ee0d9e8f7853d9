// Station status reports against the real processor (a child process): signed with the
// station's delivery secret, refused from anyone else, shown by GET /api/stations, and
// carrying the operator's requests back. A processor that is stopped (SIGSTOP) or away
// costs the station nothing: it keeps filming and reports again when it can.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ManagedProcess, spawnManaged, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { REPORT_HEADERS, type StationView, stationsResponseSchema } from '@stop-motion/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportDelayMs, signReport } from '../src/reporter.js';
import { startTestStation, type TestStation } from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOKEN = 'control-room-token-0123456789';
const SECRET = 'station-one-secret-abcdef';

let dir: TempDir;
let processor: ManagedProcess;
let url: string;
let station: TestStation;
let restartMarker: string;

async function startProcessor(port: number): Promise<ManagedProcess> {
  const p = spawnManaged({
    name: 'processor',
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'processor', 'src', 'main.ts')],
    cwd: repoRoot,
    env: {
      ...process.env,
      PROCESSOR_PORT: String(port),
      PROCESSOR_DATA_DIR: path.join(dir.path, 'processor'),
      STATION_SECRETS_DIR: path.join(dir.path, 'secrets'),
      CONTROL_TOKEN: TOKEN,
      STATION_SILENT_SECONDS: '3',
      LOG_LEVEL: 'info',
    },
    keepLines: 400,
  });
  await waitFor('processor /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
    timeoutMs: 30_000,
    intervalMs: 100,
    failIf: () => (p.running() ? undefined : p.output()),
  });
  return p;
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function stations(): Promise<StationView[]> {
  const res = await fetch(`${url}/api/stations`, { headers: auth, signal: AbortSignal.timeout(3000) });
  return stationsResponseSchema.parse(await res.json()).stations;
}
const stationView = async (id: string) => (await stations()).find((s) => s.id === id);

beforeAll(async () => {
  dir = await tempDir('reports');
  await mkdir(path.join(dir.path, 'secrets'), { recursive: true });
  await writeFile(path.join(dir.path, 'secrets', 's1.secret'), `${SECRET}\n`, { mode: 0o600 });
  await writeFile(path.join(dir.path, 'secrets', 's2.secret'), 'station-two-secret-xyz\n', { mode: 0o600 });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  processor = await startProcessor(port);
  restartMarker = path.join(dir.path, 'ui-restarted');
  const passwordFile = path.join(dir.path, 's1.password');
  writeFileSync(passwordFile, `${SECRET}\n`, { mode: 0o600 });
  station = await startTestStation({
    STATION_ID: 's1',
    PROCESSOR_REPORT_URL: `${url}/api/report`,
    RSYNC_PASSWORD_FILE: passwordFile,
    REPORT_SECONDS: '1',
    REPORT_TIMEOUT_SECONDS: '1',
    UI_RESTART_COMMAND: `touch ${restartMarker}`,
  });
}, 60_000);

afterAll(async () => {
  await station?.remove();
  if (processor) {
    processor.child.kill('SIGCONT');
    await processor.stop();
  }
  await dir?.remove();
});

describe('station reports', () => {
  it('shows a reporting station as ok with what it reported; a provisioned one that never reported as silent', async () => {
    const s1 = await waitFor('s1 to report', async () => {
      const v = await stationView('s1');
      return v?.state === 'ok' && v.camera?.state === 'ok' && (v.camera.fps ?? 0) > 0 ? v : undefined;
    });
    expect(s1).toMatchObject({ camera: { state: 'ok' }, outboxCount: 0, software: '0.1.0', closed: false, reasons: [] });
    expect(s1.diskFreeBytes).toBeGreaterThan(0);
    expect(s1.camera?.fps).toBeGreaterThan(0);
    expect(Math.abs(s1.clockOffsetMs ?? 1e9)).toBeLessThan(5000);
    // Provisioned but silent: "waiting" for STATION_SILENT_SECONDS after the processor started, then down.
    const s2 = await waitFor('s2 to count as silent', async () => {
      const v = await stationView('s2');
      return v?.state === 'down' ? v : undefined;
    });
    expect(s2).toMatchObject({ state: 'down', problems: ['silent'], reasons: ['silent: has never reported'] });
  });

  it('refuses a report signed with a wrong secret, and logs it without the secret', async () => {
    const body = JSON.stringify({ stationId: 's2' });
    const wrong = 'not-the-secret-of-s2';
    const res = await fetch(`${url}/api/report`, { method: 'POST', headers: signReport(body, 's2', wrong, Date.now()), body });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const line = await waitFor('the refusal in the log', () =>
      processor
        .output()
        .split('\n')
        .find((l) => l.includes('report.refused') && l.includes('wrong signature')),
    );
    expect(line).toContain('"station":"s2"');
    expect(processor.output()).not.toContain(wrong);
    expect(processor.output()).not.toContain(SECRET);
    // Unsigned, or with no secret at all on file: refused too.
    const unsigned = await fetch(`${url}/api/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    const unknown = await fetch(`${url}/api/report`, { method: 'POST', headers: signReport(body, 's9', 'whatever', Date.now()), body });
    expect(unknown.status).toBe(401);
    expect((await stationView('s2'))?.lastSeenAt).toBeNull();
  });

  it('refuses a report replayed as it was sent', async () => {
    const body = JSON.stringify({ x: 1 });
    const headers = signReport(body, 's1', SECRET, Date.now() - 120_000);
    const res = await fetch(`${url}/api/report`, { method: 'POST', headers, body });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'clock' } });
    expect(headers[REPORT_HEADERS.signature]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('needs the control token for /api/stations and the page; a token in the address moves into a cookie', async () => {
    expect((await fetch(`${url}/api/stations`)).status).toBe(401);
    expect((await fetch(`${url}/api/stations`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await fetch(`${url}/control`)).status).toBe(401);
    const login = await fetch(`${url}/control?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await fetch(`${url}/control`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Control room</title>');
    // An action from a foreign page is refused before the token is even looked at.
    const foreign = await fetch(`${url}/api/control/stations/s1/close`, {
      method: 'POST',
      headers: { ...auth, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
  });

  it('streams snapshots to the page over server-sent events', async () => {
    const abort = new AbortController();
    const res = await fetch(`${url}/api/control/events`, { headers: auth, signal: abort.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body?.getReader();
    let text = '';
    while (reader && !text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const data = JSON.parse(
      text
        .split('\n')
        .find((l) => l.startsWith('data: '))
        ?.slice(6) ?? '{}',
    ) as { stations: StationView[] };
    expect(data.stations.map((s) => s.id)).toContain('s1');
  });

  it('closes the station for a break (presses do nothing) and opens it again, through the report reply', async () => {
    const before = station.store.frameCount;
    const close = await fetch(`${url}/api/control/stations/s1/close`, { method: 'POST', headers: auth });
    expect(close.status).toBe(200);
    await waitFor('the station to close', () => station.station.isClosed);
    expect(station.station.snapshot().closed).toBe(true);
    station.station.press('capture', 'api');
    await new Promise((r) => setTimeout(r, 300));
    expect(station.store.frameCount).toBe(before);
    expect(await stationView('s1')).toMatchObject({ closed: true });
    await fetch(`${url}/api/control/stations/s1/open`, { method: 'POST', headers: auth });
    await waitFor('the station to open', () => !station.station.isClosed);
    station.station.press('capture', 'api');
    await waitFor('a capture once open', () => station.store.frameCount === before + 1);
  });

  it('restarts the station UI once when asked, and the request is then done', async () => {
    const res = await fetch(`${url}/api/control/stations/s1/restart-ui`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    await waitFor('the restart command to run', async () => (await stat(restartMarker).catch(() => null)) !== null);
    await waitFor('the request to be acknowledged', async () => (await stationView('s1'))?.pendingActions.length === 0);
    expect(processor.output()).toContain('station.action_done');
    const unknown = await fetch(`${url}/api/control/stations/nobody/close`, { method: 'POST', headers: auth });
    expect(unknown.status).toBe(404);
  });

  it('keeps filming while the processor is stopped (SIGSTOP), goes silent there, and reports again after SIGCONT', async () => {
    await waitFor('a fresh report', async () => (await stationView('s1'))?.state === 'ok');
    processor.child.kill('SIGSTOP');
    try {
      await waitFor('a report to time out', () => station.reporter?.lastError?.includes('no answer within') === true, {
        timeoutMs: 10_000,
      });
      const before = station.store.frameCount;
      await station.station.capture();
      expect(station.store.frameCount).toBe(before + 1);
    } finally {
      processor.child.kill('SIGCONT');
    }
    // Back: reports resume (the backoff is capped, and the stopped time was short).
    await waitFor('reports to resume', () => station.reporter?.lastError === null, { timeoutMs: 20_000 });
    expect((await stationView('s1'))?.state).toBe('ok');
  });

  it('is shown silent when the station stops reporting', async () => {
    await station.reporter?.stop();
    const v = await waitFor('s1 to go silent', async () => {
      const s = await stationView('s1');
      return s?.problems.includes('silent') ? s : undefined;
    });
    expect(v.state).toBe('down');
    expect(v.reasons[0]).toMatch(/^silent: no report for \d+ s/);
    await station.reporter?.start();
    await waitFor('s1 back', async () => (await stationView('s1'))?.state === 'ok');
  });
});

describe('a change the control room shows', () => {
  it('is reported at once, not at the next interval', async () => {
    const passwordFile = path.join(dir.path, 's2.password');
    writeFileSync(passwordFile, 'station-two-secret-xyz\n', { mode: 0o600 });
    const slow = await startTestStation({
      STATION_ID: 's2',
      PROCESSOR_REPORT_URL: `${url}/api/report`,
      RSYNC_PASSWORD_FILE: passwordFile,
      // The next regular report is an hour away.
      REPORT_SECONDS: '3600',
    });
    try {
      await waitFor('s2 to report with its camera running', async () => (await stationView('s2'))?.camera?.state === 'ok');
      const camera = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('lavfi') && l.includes('320x240'))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
      expect(camera.length).toBeGreaterThan(0);
      for (const pid of camera) process.kill(pid, 'SIGKILL');
      const v = await waitFor('the camera restart on the control room', async () => {
        const s = await stationView('s2');
        return s?.problems.includes('camera') ? s : undefined;
      });
      expect(v.state).toBe('down');
    } finally {
      await slow.remove();
    }
  });
});

describe('reportDelayMs', () => {
  it.each([
    [0, 5000, 5000],
    [1, 5000, 10_000],
    [2, 5000, 20_000],
    [3, 5000, 40_000],
    [4, 5000, 60_000],
    [50, 5000, 60_000],
    [3, 120_000, 120_000],
  ])('after %i failures at %i ms: %i ms', (failures, interval, expected) => {
    expect(reportDelayMs(failures, interval)).toBe(expected);
  });
});

it('reads the secret from the password file as rsync does (first line)', async () => {
  const { readStationSecret } = await import('../src/reporter.js');
  const t = await tempDir('secret');
  try {
    const file = path.join(t.path, 'pw');
    await writeFile(file, 'first-line\nsecond\n');
    expect(readStationSecret(undefined, file)).toBe('first-line');
    expect(readStationSecret('direct', file)).toBe('direct');
    expect(readStationSecret(undefined, undefined)).toBeUndefined();
    expect(await readFile(file, 'utf8')).toContain('first-line');
  } finally {
    await t.remove();
  }
});
