// The control room's decisions as pure functions: a station's state from its report,
// the alerts that hold, raising and clearing them, and whether a report is genuine.
import { createHmac } from 'node:crypto';
import { REPORT_HEADERS, reportSigningInput, type StationReport, type StationView } from '@stop-motion/protocol';
import { describe, expect, it } from 'vitest';
import { AlertBook, type AlertInput, evaluateAlerts } from '../src/alerts.js';
import { UNPROBED } from '../src/control-probes.js';
import { buildSnapshot, dayCounts, statusParts } from '../src/control-snapshot.js';
import { type HealthThresholds, stationHealth } from '../src/health.js';
import { verifyReport } from '../src/station-reports.js';

const T: HealthThresholds = {
  silentMs: 20_000,
  diskWarnBytes: 500 * 1_048_576,
  outboxWarnMs: 600_000,
  uiDeadMs: 30_000,
  clockWarnMs: 120_000,
};
const NOW = Date.parse('2026-06-01T12:00:00Z');

function report(change: Partial<StationReport> = {}): StationReport {
  return {
    format: 'stop-motion-report',
    version: 1,
    stationId: 's1',
    clock: new Date(NOW).toISOString(),
    software: '0.1.0',
    uptimeSec: 100,
    camera: { state: 'ok', kind: 'test', restarts: 0, fps: 25 },
    buttons: { kind: 'sim', state: 'ok', lastPressAt: null },
    ui: { lastBeatAt: new Date(NOW - 2000).toISOString(), secondsSinceBeat: 2, restarts: 0 },
    disk: { freeBytes: 8e9, totalBytes: 16e9, full: false },
    outbox: { count: 0, oldestAgeSec: null },
    delivery: { lastSuccessAt: null, lastError: null, lastErrorAt: null },
    film: { id: 'M1', frameCount: 3 },
    closed: false,
    done: [],
    ...change,
  };
}

const seen = (r: StationReport | null, agoMs = 1000, clockOffsetMs: number | null = 0) => ({
  report: r,
  receivedAt: r ? NOW - agoMs : null,
  clockOffsetMs,
});

describe('stationHealth', () => {
  it.each<[string, ReturnType<typeof seen> & { watchingSince?: number }, 'ok' | 'warn' | 'down', string[], RegExp | null]>([
    ['a healthy station', seen(report()), 'ok', [], null],
    ['a station that never reported', seen(null), 'down', ['silent'], /never reported/],
    [
      'a station not heard from since we started, within the limit',
      { ...seen(null), watchingSince: NOW - 19_000 },
      'warn',
      ['waiting'],
      /waiting for its first report/,
    ],
    [
      'a station not heard from since we started, past the limit',
      { ...seen(null), watchingSince: NOW - 21_000 },
      'down',
      ['silent'],
      /never reported/,
    ],
    ['silent just under the limit', seen(report(), 19_999), 'ok', [], null],
    ['silent past the limit', seen(report(), 20_001), 'down', ['silent'], /no report for 20 s/],
    [
      'a failed camera',
      seen(report({ camera: { state: 'failed', kind: 'test', restarts: 5, fps: 0, message: 'no device' } })),
      'down',
      ['camera'],
      /camera failed: no device/,
    ],
    [
      'a restarting camera',
      seen(report({ camera: { state: 'restarting', kind: 'test', restarts: 2, fps: 0, message: 'exited' } })),
      'down',
      ['camera'],
      /no pictures, restarting: exited \(2 restarts\)/,
    ],
    [
      'a camera that is off',
      seen(report({ camera: { state: 'off', kind: 'test', restarts: 0, fps: null } })),
      'down',
      ['camera'],
      /camera is off/,
    ],
    ['a starting camera', seen(report({ camera: { state: 'starting', kind: 'test', restarts: 0, fps: null } })), 'ok', [], null],
    [
      'failed buttons',
      seen(report({ buttons: { kind: 'gpiomon', state: 'failed', lastPressAt: null, message: 'gpiomon exited' } })),
      'down',
      ['buttons'],
      /buttons not working: gpiomon exited/,
    ],
    [
      'a UI past the limit',
      seen(report({ ui: { lastBeatAt: new Date(NOW - 40_000).toISOString(), secondsSinceBeat: 31, restarts: 0 } })),
      'down',
      ['ui'],
      /screen not responding for 31 s/,
    ],
    [
      'a UI just within it',
      seen(report({ ui: { lastBeatAt: new Date(NOW).toISOString(), secondsSinceBeat: 30, restarts: 0 } })),
      'ok',
      [],
      null,
    ],
    [
      'a UI that never connected (watchdog off)',
      seen(report({ ui: { lastBeatAt: null, secondsSinceBeat: 500, restarts: 0 } })),
      'ok',
      [],
      null,
    ],
    [
      'low disk',
      seen(report({ disk: { freeBytes: 100 * 1_048_576, totalBytes: 1e9, full: false } })),
      'warn',
      ['disk'],
      /disk almost full: 100 MB free/,
    ],
    [
      'a full disk',
      seen(report({ disk: { freeBytes: 10 * 1_048_576, totalBytes: 1e9, full: true } })),
      'down',
      ['disk'],
      /disk full \(10 MB free\)/,
    ],
    ['disk just at the threshold', seen(report({ disk: { freeBytes: 500 * 1_048_576, totalBytes: 1e9, full: false } })), 'ok', [], null],
    [
      'an old outbox',
      seen(
        report({
          outbox: { count: 2, oldestAgeSec: 601 },
          delivery: { lastSuccessAt: null, lastError: 'rsync exit 10: connection refused', lastErrorAt: null },
        }),
      ),
      'warn',
      ['outbox'],
      /2 films not delivered, the oldest for 10 min \(last error: rsync exit 10: connection refused\)/,
    ],
    ['a young outbox', seen(report({ outbox: { count: 2, oldestAgeSec: 599 } })), 'ok', [], null],
    ['a clock far ahead', seen(report(), 1000, 180_000), 'warn', ['clock'], /clock is 3 min ahead/],
    [
      'silent with a failed camera: both, silent first',
      seen(report({ camera: { state: 'failed', kind: 'test', restarts: 5, fps: 0 } }), 60_000),
      'down',
      ['silent', 'camera'],
      /silent/,
    ],
    [
      'low disk and a failed camera: down',
      seen(report({ camera: { state: 'failed', kind: 't', restarts: 5, fps: 0 }, disk: { freeBytes: 1, totalBytes: 1e9, full: false } })),
      'down',
      ['camera', 'disk'],
      /camera failed/,
    ],
  ])('%s', (_name, sighting, state, problems, firstReason) => {
    const v = stationHealth(sighting, NOW, T);
    expect(v.state).toBe(state);
    expect(v.problems).toEqual(problems);
    expect(v.reasons).toHaveLength(problems.length);
    if (firstReason) expect(v.reasons[0]).toMatch(firstReason);
  });
});

const view = (id: string, state: StationView['state'], problems: string[], reasons: string[]): StationView => ({
  id,
  lastSeenAt: null,
  state,
  reasons,
  problems,
  camera: null,
  buttons: null,
  ui: null,
  diskFreeBytes: null,
  outboxCount: null,
  outboxOldestAgeSec: null,
  lastDelivery: null,
  frameCount: null,
  software: null,
  uptimeSec: null,
  clockOffsetMs: null,
  closed: false,
  pendingActions: [],
});

const quiet: AlertInput = {
  stations: [],
  failures: [],
  s3: { ok: true, error: null },
  redis: { ok: true, error: null },
  gallery: { ok: null, error: null },
  player: { state: 'playing', lastError: null },
  playerRecentRestarts: 0,
};

describe('evaluateAlerts', () => {
  it.each<[string, Partial<AlertInput>, Array<[string, string]>]>([
    ['all quiet', {}, []],
    [
      'a silent station',
      { stations: [view('s1', 'down', ['silent'], ['silent: no report for 30 s'])] },
      [['station.silent:s1', 'critical']],
    ],
    ['a failed camera', { stations: [view('s2', 'down', ['camera'], ['camera failed'])] }, [['station.camera:s2', 'critical']]],
    ['failed buttons', { stations: [view('s2', 'down', ['buttons'], ['buttons not working'])] }, [['station.buttons:s2', 'critical']]],
    ['a dead UI', { stations: [view('s2', 'down', ['ui'], ['screen not responding'])] }, [['station.ui:s2', 'critical']]],
    ['a low disk', { stations: [view('s1', 'warn', ['disk'], ['disk almost full'])] }, [['station.disk:s1', 'warn']]],
    ['a full disk', { stations: [view('s1', 'down', ['disk'], ['disk full'])] }, [['station.disk:s1', 'critical']]],
    ['an old outbox', { stations: [view('s1', 'warn', ['outbox'], ['2 films not delivered'])] }, [['station.outbox:s1', 'warn']]],
    [
      'a failed render',
      { failures: [{ id: 'F1', reason: 'ffmpeg exit 1', title: 'Cat', stationId: 's1' }] },
      [['render.failed:F1', 'critical']],
    ],
    ['S3 unreachable', { s3: { ok: false, error: 'timeout' } }, [['s3.unreachable', 'critical']]],
    ['S3 not set up', { s3: { ok: null, error: null } }, []],
    ['Redis unreachable', { redis: { ok: false, error: 'ECONNREFUSED' } }, [['redis.unreachable', 'warn']]],
    ['the gallery unreachable', { gallery: { ok: false, error: 'HTTP 502' } }, [['gallery.unreachable', 'critical']]],
    ['mpv restarting now', { player: { state: 'restarting', lastError: 'exit 1' } }, [['player.restarting', 'critical']]],
    ['mpv restarted recently', { playerRecentRestarts: 2 }, [['player.restarting', 'critical']]],
    [
      'two problems at one station',
      { stations: [view('s1', 'down', ['camera', 'disk'], ['camera failed', 'disk almost full'])] },
      [
        ['station.camera:s1', 'critical'],
        ['station.disk:s1', 'critical'],
      ],
    ],
  ])('%s', (_name, change, expected) => {
    const got = evaluateAlerts({ ...quiet, ...change });
    expect(got.map((c) => [c.key, c.severity])).toEqual(expected);
    for (const c of got) expect(c.message.length).toBeGreaterThan(10);
  });

  it('names the station and its reason in the message', () => {
    const [c] = evaluateAlerts({ ...quiet, stations: [view('s7', 'down', ['camera'], ['camera failed: no device'])] });
    expect(c?.message).toBe('Station s7: camera failed: no device');
  });
});

describe('AlertBook', () => {
  const c = (key: string, message = key) => ({ key, kind: key.split(':')[0] ?? key, severity: 'critical' as const, message });

  it('raises once while a condition lasts, clears when it goes, and keeps a short history newest first', () => {
    const book = new AlertBook(3);
    expect(book.update([c('a')], 1000).raised.map((a) => a.key)).toEqual(['a']);
    const again = book.update([c('a', 'a, newer words')], 2000);
    expect(again).toEqual({ raised: [], cleared: [] });
    expect(book.activeAlerts()[0]?.message).toBe('a, newer words');
    const gone = book.update([c('b')], 3000);
    expect(gone.raised.map((a) => a.key)).toEqual(['b']);
    expect(gone.cleared.map((a) => [a.key, a.clearedAt])).toEqual([['a', new Date(3000).toISOString()]]);
    book.update([c('b'), c('c'), c('d')], 4000);
    expect(book.recent().map((a) => a.key)).toEqual(['d', 'c', 'b']);
    expect(book.activeAlerts().map((a) => a.key)).toEqual(['b', 'c', 'd']);
    // A condition that comes back is a new alert.
    book.update([], 5000);
    expect(book.update([c('b')], 6000).raised).toHaveLength(1);
  });
});

describe('verifyReport', () => {
  const secret = 'the-station-secret';
  const body = JSON.stringify(report());
  const sign = (time: number, station = 's1', text = body, key = secret) => ({
    [REPORT_HEADERS.station]: station,
    [REPORT_HEADERS.time]: String(time),
    [REPORT_HEADERS.signature]: createHmac('sha256', key)
      .update(reportSigningInput(String(time), station, text))
      .digest('hex'),
  });
  const base = { body, now: NOW, secret, lastSignedAt: undefined as number | undefined, windowMs: 60_000 };

  it('takes a report signed by its station within the window', () => {
    const v = verifyReport({ ...base, headers: sign(NOW - 1000) });
    expect(v.ok).toBe(true);
  });

  it.each<[string, Partial<typeof base> & { headers: Record<string, string> }, string, RegExp]>([
    ['a wrong secret', { headers: sign(NOW, 's1', body, 'another-secret') }, 'unauthorized', /wrong signature/],
    ['an unknown station', { headers: sign(NOW), secret: undefined }, 'unauthorized', /unknown station/],
    ['no signature', { headers: { [REPORT_HEADERS.station]: 's1', [REPORT_HEADERS.time]: String(NOW) } }, 'unauthorized', /no signature/],
    ['a changed body', { headers: sign(NOW), body: body.replace('"frameCount":3', '"frameCount":4') }, 'unauthorized', /wrong signature/],
    [
      'a signature for another station',
      { headers: { ...sign(NOW, 's2'), [REPORT_HEADERS.station]: 's1' } },
      'unauthorized',
      /wrong signature/,
    ],
    ['an old signature', { headers: sign(NOW - 61_000) }, 'clock', /-61 s from ours/],
    ['a replay', { headers: sign(NOW - 1000), lastSignedAt: NOW - 1000 }, 'unauthorized', /replayed/],
    ['a path in the station id', { headers: { ...sign(NOW), [REPORT_HEADERS.station]: '../etc' } }, 'unauthorized', /station id/],
    ['a body of another station', { headers: sign(NOW, 's2', body), secret }, 'bad_request', /another station/],
    ['a body that is not a report', { headers: sign(NOW, 's1', '{"x":1}'), body: '{"x":1}' }, 'bad_request', /not a report/],
  ])('refuses %s', (_name, change, code, reason) => {
    const v = verifyReport({ ...base, ...change });
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.code).toBe(code);
      expect(v.reason).toMatch(reason);
    }
  });
});

describe('dayCounts', () => {
  it("counts the event day's made films in its time zone", () => {
    const jobs = [
      { id: 'a', state: 'done', publish: 'public', receivedAt: '2026-06-01T08:00:00Z', frameCount: 10, durationSec: 5 },
      { id: 'b', state: 'uploading', publish: 'private', receivedAt: '2026-06-01T20:30:00Z', frameCount: 20, durationSec: 7 },
      // 23:30 UTC on the 31st is already the 1st in Jerusalem.
      { id: 'c', state: 'rendered', publish: 'private', receivedAt: '2026-05-31T23:30:00Z', frameCount: 4, durationSec: 3 },
      { id: 'd', state: 'quarantined', publish: 'public', receivedAt: '2026-06-01T09:00:00Z', frameCount: 99 },
      { id: 'e', state: 'done', publish: 'public', receivedAt: '2026-05-30T09:00:00Z', frameCount: 99, durationSec: 9 },
    ];
    expect(dayCounts(jobs, 'Asia/Jerusalem', new Date(NOW))).toEqual({
      date: '2026-06-01',
      films: 3,
      public: 1,
      private: 2,
      frames: 34,
      averageSec: 5,
    });
  });
});

describe('buildSnapshot', () => {
  const snapshotOf = (status: Record<string, unknown>) =>
    buildSnapshot({
      now: NOW,
      eventName: 'Fest',
      eventTimeZone: 'UTC',
      status: statusParts(status),
      stations: [],
      alerts: { active: [], recent: [] },
      services: UNPROBED,
      sections: [],
    });
  it.each([
    ['nothing on the playlist', [], null, null],
    ['one film alone: nothing else comes', ['a'], 'a', null],
    ['the film after the one playing', ['a', 'b', 'c'], 'a', 'b'],
    ['the last wraps to the first', ['a', 'b', 'c'], 'c', 'a'],
    ['nothing playing yet: the first', ['a', 'b'], null, 'a'],
  ])('next on the screen: %s', (_what, playlist, nowPlaying, next) => {
    expect(snapshotOf({ playlist, nowPlaying }).screen).toMatchObject({ nowPlaying, next, playlistLength: playlist.length });
  });
  it('lists the render queue and the last failures from the jobs; a status without parts shows an idle, empty room', () => {
    const snap = snapshotOf({
      jobs: [
        { id: 'r', state: 'rendering', progress: 0.5, title: 'T', stationId: 's1' },
        { id: 'q', state: 'received' },
        { id: 'f', state: 'failed', reason: 'ffmpeg exit 1', updatedAt: '2026-06-01T11:00:00Z' },
        { id: 'd', state: 'done' },
      ],
    });
    expect(snap.render.queue).toEqual([
      { id: 'r', title: 'T', stationId: 's1', state: 'rendering', progress: 0.5 },
      { id: 'q', title: null, stationId: null, state: 'received', progress: 0 },
    ]);
    expect(snap.render.failures).toEqual([{ id: 'f', title: null, stationId: null, reason: 'ffmpeg exit 1', at: '2026-06-01T11:00:00Z' }]);
    expect(snapshotOf({}).screen).toEqual({
      kind: 'none',
      state: 'off',
      nowPlaying: null,
      next: null,
      playlistLength: 0,
      restarts: 0,
      lastError: null,
      held: false,
    });
    expect(snap.time).toBe(new Date(NOW).toISOString());
  });
});
