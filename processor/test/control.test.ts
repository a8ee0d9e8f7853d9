// The control room with real peers: s3rver stopped (SIGSTOP) and Redis away are seen
// within their deadlines and raise alerts, a webhook hears the ones that matter (and
// one that never answers holds nothing up), and the big screen's operator actions
// drive the real mpv.
import { createHmac } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { freePort, MpvClient, type S3Service, startS3, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import { type Alert, httpErrorSchema, MAX_REPORT_BYTES, REPORT_HEADERS, REPORT_PATH, reportSigningInput } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { ControlSnapshot } from '../src/control-snapshot.js';
import { type Processor, startProcessor } from '../src/index.js';
import { writePackage } from './helpers.js';

const TOKEN = 'control-room-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

async function listen(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

describe('control room', () => {
  let dir: TempDir;
  let s3: S3Service;
  let p: Processor;
  let hook: Server;
  const posts: Array<{ event: string; text: string; alert: Alert }> = [];

  const snapshot = async () => (await (await fetch(`${p.url}/api/control`, { headers: auth })).json()) as ControlSnapshot;
  const alertKeys = async () => (await snapshot()).alerts.active.map((a) => a.key);

  beforeAll(async () => {
    dir = await tempDir('proc-control');
    s3 = await startS3({ directory: path.join(dir.path, 's3') });
    hook = await listen((req, body, res) => {
      if (req.method === 'POST') posts.push(JSON.parse(body));
      res.end('ok');
    });
    // Nothing listens here: Redis is away from the start.
    const redisPort = await freePort();
    const config = loadConfig({
      ...s3.env(),
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      PLAYER: 'mpv',
      MPV_FULLSCREEN: 'false',
      MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
      TITLE_SECONDS: '0',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      CONTROL_TOKEN: TOKEN,
      STATION_SECRETS_DIR: path.join(dir.path, 'secrets'),
      CONTROL_PROBE_SECONDS: '1',
      CONTROL_PROBE_TIMEOUT_SECONDS: '1',
      ALERT_WEBHOOK_URL: `${urlOf(hook)}/hook`,
    });
    p = await startProcessor(config, { logger: pino({ level: 'silent' }) });
  }, 60_000);

  afterAll(async () => {
    s3?.resume();
    await p?.close();
    await s3?.close();
    hook?.close();
    await dir?.remove();
  });

  it('lets in only CONTROL_TOKEN: as a bearer, or in the cookie its ?token= link sets before leaving the address bar', async () => {
    const cookieOf = (token: string) => ({ cookie: `stop_motion_control=${encodeURIComponent(token)}` });
    // As long as the token, one character off: only the bytes can tell them apart.
    const near = `${TOKEN.slice(0, -1)}${TOKEN.endsWith('x') ? 'y' : 'x'}`;
    for (const route of ['/control', '/api/control', '/api/stations', '/api/control/events']) {
      expect((await fetch(`${p.url}${route}`)).status, route).toBe(401);
      expect((await fetch(`${p.url}${route}`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, route).toBe(401);
      expect((await fetch(`${p.url}${route}`, { headers: { authorization: `Bearer ${near}` } })).status, route).toBe(401);
      expect((await fetch(`${p.url}${route}`, { headers: cookieOf(near) })).status, route).toBe(401);
    }
    expect((await fetch(`${p.url}/api/control/screen/skip`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${p.url}/control?token=${near}`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${p.url}/api/stations`, { headers: auth })).status).toBe(200);
    const link = await fetch(`${p.url}/control?token=${TOKEN}`, { redirect: 'manual' });
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('/control');
    const cookie = link.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${p.url}/control`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('</html>');
  });

  it('sees Redis away (a warning, not posted) and S3 reachable', async () => {
    await waitFor('the redis alert', async () => (await alertKeys()).includes('redis.unreachable'));
    const snap = await snapshot();
    expect(snap.services.s3).toEqual({ ok: true, error: null });
    expect(snap.services.redis.ok).toBe(false);
    expect(snap.services.gallery).toEqual({ ok: null, error: null });
    expect(snap.alerts.active.find((a) => a.key === 'redis.unreachable')?.severity).toBe('warn');
    expect(posts.filter((x) => x.alert.key === 'redis.unreachable')).toEqual([]);
  });

  it('raises an alert when S3 is stopped (SIGSTOP), posts it to the webhook, and clears both when it answers again', async () => {
    await s3.pause();
    try {
      await waitFor('the S3 alert', async () => (await alertKeys()).includes('s3.unreachable'), { timeoutMs: 15_000 });
      const snap = await snapshot();
      expect(snap.services.s3.error).toMatch(/no answer within 1 s/);
      const raised = await waitFor('the webhook post', () =>
        posts.find((x) => x.event === 'alert.raised' && x.alert.key === 's3.unreachable'),
      );
      expect(raised.text).toMatch(/S3 unreachable/);
      expect(raised.alert.severity).toBe('critical');
    } finally {
      s3.resume();
    }
    await waitFor('the S3 alert to clear', async () => !(await alertKeys()).includes('s3.unreachable'), { timeoutMs: 15_000 });
    await waitFor('the cleared post', () => posts.find((x) => x.event === 'alert.cleared' && x.alert.key === 's3.unreachable'));
    const history = (await snapshot()).alerts.recent.find((a) => a.key === 's3.unreachable');
    expect(history?.clearedAt).not.toBeNull();
  });

  it('holds the big screen on the event slide and goes back; skips and replays a film, all through the real mpv', async () => {
    const ids: string[] = [];
    for (const title of ['one', 'two']) {
      const { id } = await writePackage(p.config.inboxDir, { frames: 20, title, publish: 'private' });
      ids.push(id);
    }
    await waitFor('both films on the playlist', async () => (await snapshot()).screen.playlistLength === 2, { timeoutMs: 90_000 });
    const mpv = () => MpvClient.connect(path.join(p.config.dataDir, 'mpv.sock'));
    const names = async () => {
      const c = await mpv();
      try {
        return (await c.playlist()).map((e) => e.filename);
      } finally {
        c.close();
      }
    };
    const post = (what: string) => fetch(`${p.url}/api/control/${what}`, { method: 'POST', headers: auth });

    expect((await post('screen/hold')).status).toBe(200);
    await waitFor('only the event slide in mpv', async () => {
      const n = await names();
      return n.length === 1 && n[0]?.endsWith('idle.png');
    });
    // The action's reply does not wait for the page's next snapshot (its probes have deadlines of their own).
    await waitFor('the snapshot to say held', async () => (await snapshot()).screen.held === true);
    // A film cannot be replayed while the screen is held.
    expect((await post(`films/${ids[0]}/replay`)).status).toBe(404);
    expect((await post('screen/release')).status).toBe(200);
    await waitFor('both films back', async () => {
      const n = await names();
      return ids.every((id) => n.some((f) => f.includes(id)));
    });

    const playing = await waitFor('a film on screen', async () => (await snapshot()).screen.nowPlaying);
    expect((await post('screen/skip')).status).toBe(200);
    await waitFor('another film on screen', async () => {
      const now = (await snapshot()).screen.nowPlaying;
      return now !== null && now !== playing;
    });
    expect((await post(`films/${playing}/replay`)).status).toBe(200);
    await waitFor('the replayed film on screen', async () => (await snapshot()).screen.nowPlaying === playing);
    expect((await post('films/not-a-film-here/replay')).status).toBe(404);
    expect((await post('screen/nonsense')).status).toBe(404);
  });

  it('a webhook that never answers holds nothing up', async () => {
    // Accepts the connection and says nothing, like a stopped chat server.
    const silent = await listen(() => {});
    const dir2 = await tempDir('proc-control-2');
    const config = loadConfig({
      ...s3.env(),
      PROCESSOR_DATA_DIR: path.join(dir2.path, 'data'),
      PROCESSOR_INBOX: path.join(dir2.path, 'inbox'),
      PROCESSOR_PORT: '0',
      CONTROL_TOKEN: TOKEN,
      STATION_SECRETS_DIR: path.join(dir2.path, 'secrets'),
      CONTROL_PROBE_SECONDS: '1',
      CONTROL_PROBE_TIMEOUT_SECONDS: '1',
      ALERT_WEBHOOK_URL: `${urlOf(silent)}/hook`,
    });
    const q = await startProcessor(config, { logger: pino({ level: 'silent' }) });
    try {
      const keys = async () =>
        ((await (await fetch(`${q.url}/api/control`, { headers: auth })).json()) as ControlSnapshot).alerts.active.map((a) => a.key);
      await s3.pause();
      try {
        await waitFor('raised', async () => (await keys()).includes('s3.unreachable'), { timeoutMs: 15_000 });
      } finally {
        s3.resume();
      }
      await waitFor('cleared while the webhook still says nothing', async () => !(await keys()).includes('s3.unreachable'), {
        timeoutMs: 15_000,
      });
    } finally {
      await q.close();
      silent.closeAllConnections();
      silent.close();
      await dir2.remove();
    }
  });

  it('takes station reports on a listener of their own (REPORT_PORT), which serves nothing else', async () => {
    const dir3 = await tempDir('proc-control-3');
    const secrets = path.join(dir3.path, 'secrets');
    await mkdir(secrets, { recursive: true });
    await writeFile(path.join(secrets, 'lan1.secret'), 'lan-station-secret\n');
    const q = await startProcessor(
      loadConfig({
        PROCESSOR_DATA_DIR: path.join(dir3.path, 'data'),
        PROCESSOR_INBOX: path.join(dir3.path, 'inbox'),
        PROCESSOR_PORT: '0',
        CONTROL_TOKEN: TOKEN,
        STATION_SECRETS_DIR: secrets,
        REPORT_HOST: '127.0.0.1',
        REPORT_PORT: '0',
      }),
      { logger: pino({ level: 'silent' }) },
    );
    try {
      expect(q.reportUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const now = new Date();
      const body = JSON.stringify({
        format: 'stop-motion-report',
        version: 1,
        stationId: 'lan1',
        clock: now.toISOString(),
        software: '0.1.0',
        uptimeSec: 1,
        camera: { state: 'ok', kind: 'test', restarts: 0, fps: 25 },
        buttons: { kind: 'sim', state: 'ok', lastPressAt: null },
        ui: { lastBeatAt: null, secondsSinceBeat: 1, restarts: 0 },
        disk: { freeBytes: 5e9, totalBytes: 1e10, full: false },
        outbox: { count: 0, oldestAgeSec: null },
        delivery: { lastSuccessAt: null, lastError: null, lastErrorAt: null },
        film: { id: 'F1', frameCount: 0 },
        closed: false,
        done: [],
      });
      const time = String(now.getTime());
      const headers = {
        'content-type': 'application/json',
        [REPORT_HEADERS.station]: 'lan1',
        [REPORT_HEADERS.time]: time,
        [REPORT_HEADERS.signature]: createHmac('sha256', 'lan-station-secret')
          .update(reportSigningInput(time, 'lan1', body))
          .digest('hex'),
      };
      // The LAN address a station uses is no host name the status server knows: no Host rule here.
      const res = await fetch(`${q.reportUrl}${REPORT_PATH}`, {
        method: 'POST',
        headers: { ...headers, host: 'processor.festival.lan' },
        body,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, closed: false, actions: [] });
      const stations = (await (await fetch(`${q.url}/api/stations`, { headers: auth })).json()) as {
        stations: Array<{ id: string; state: string }>;
      };
      expect(stations.stations).toEqual([expect.objectContaining({ id: 'lan1', state: 'ok' })]);
      // The same report again is a replay.
      expect((await fetch(`${q.reportUrl}${REPORT_PATH}`, { method: 'POST', headers, body })).status).toBe(401);
      // Nothing else on the report listener; no report route on the status server.
      for (const route of ['/control', '/api/stations', '/status', '/']) {
        const other = await fetch(`${q.reportUrl}${route}`);
        expect(other.status).toBe(404);
        expect(httpErrorSchema.parse(await other.json()).error.code).toBe('not_found');
      }
      // Fastify's own refusals on this listener carry the one body too.
      const huge = await fetch(`${q.reportUrl}${REPORT_PATH}`, { method: 'POST', headers, body: 'x'.repeat(MAX_REPORT_BYTES + 1) });
      expect(huge.status).toBe(413);
      expect(httpErrorSchema.parse(await huge.json()).error.code).toBe('too_large');
      expect((await fetch(`${q.url}${REPORT_PATH}`, { method: 'POST', headers, body })).status).toBe(404);
    } finally {
      await q.close();
      await dir3.remove();
    }
  });
});
