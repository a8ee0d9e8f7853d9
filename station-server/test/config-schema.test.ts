import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const errorsOf = (env: Record<string, string>) => {
  const r = loadConfig(env, '/srv');
  return r.ok ? [] : r.errors;
};

describe('station config schema', () => {
  it('turns every default into the shape the code uses', () => {
    const r = loadConfig({}, '/srv');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toEqual({
      stationId: expect.any(String),
      host: '127.0.0.1',
      port: 8750,
      dataDir: '/srv/data/station',
      uiDir: expect.stringMatching(/station-ui\/dist$/),
      allowedOrigins: [],
      allowedHosts: [],
      logLevel: 'info',
      camera: {
        kind: 'test',
        width: 1280,
        height: 720,
        fps: 30,
        device: '/dev/video0',
        source: undefined,
        quality: expect.any(Number),
        stallMs: 2000,
        lock: 'settle',
        settleMs: 1500,
        shutterUs: undefined,
        gain: undefined,
        awbGains: undefined,
        lensPosition: undefined,
        flickerHz: 50,
        command: undefined,
        controlCommand: undefined,
      },
      captureSettleMs: 33,
      buttons: {
        kind: 'sim',
        pins: [
          { action: 'capture', pin: 17 },
          { action: 'undo', pin: 27 },
          { action: 'play', pin: 22 },
          { action: 'finish', pin: 23 },
        ],
        ledPins: [],
        keys: undefined,
        gamepad: undefined,
        chip: 'auto',
        debounceMs: 30,
        captureLockoutMs: 400,
      },
      maxFrames: 300,
      movieFps: 10,
      recentMovies: 8,
      report: { url: null, intervalMs: 5000, timeoutMs: 4000 },
      tracksDir: undefined,
      printer: {
        queue: null,
        publish: 'public',
        paperMm: 80,
        lpOptions: [],
        jobTimeoutSeconds: 90,
        checkSeconds: 30,
        commandTimeoutSeconds: 20,
        cupsServer: undefined,
        eventName: 'Stop Motion Festival',
        fonts: {
          regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
          bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
          mono: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf',
        },
      },
      delivery: {
        target: undefined,
        rsyncPassword: undefined,
        rsyncPasswordFile: undefined,
        sshKey: undefined,
        timeoutSeconds: 120,
        retryMinMs: 2000,
        retryMaxMs: 300_000,
        sentRetentionDays: 14,
      },
      disk: { minFreeBytes: 200 * 1024 * 1024, cleanupFreeBytes: 1000 * 1024 * 1024 },
      watchdog: { seconds: 0, command: undefined, minIntervalSeconds: 120 },
      ui: {
        idleMinutes: 5,
        idleAction: 'finish',
        locale: 'en',
        titleEnabled: false,
        sound: true,
        onionOpacity: 0.3,
        claimSeconds: 60,
        claimNext: null,
        designer: true,
        galleryPublicUrl: null,
      },
    });
    const fromHost =
      os
        .hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 64) || 'station';
    expect(r.config.stationId).toBe(fromHost);
  });

  it('converts what the variables say', () => {
    const r = loadConfig(
      {
        STATION_ID: 'booth-2',
        CAMERA: 'replay',
        CAMERA_SOURCE: 'frames',
        CAMERA_FPS: '25',
        CAMERA_SHUTTER_US: '8000',
        CAMERA_FLICKER_HZ: 'off',
        CAPTURE_SETTLE_MS: '0',
        LED_PINS: 'capture:5',
        BUTTON_GAMEPAD: '0:capture,1:undo',
        ALLOWED_HOSTS: 'Booth.Local, ',
        ALLOWED_ORIGINS: 'http://a:1,http://b:2',
        DISK_MIN_FREE_MB: '1',
        CLAIM_NEXT_GESTURE: 'finishx3',
        DESIGNER: 'off',
        UI_WATCHDOG_SECONDS: '30',
        UI_RESTART_COMMAND: 'systemctl --user restart "kiosk app"',
      },
      '/srv',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      stationId: 'booth-2',
      camera: { kind: 'replay', source: '/srv/frames', fps: 25, shutterUs: 8000, flickerHz: undefined },
      captureSettleMs: 0,
      buttons: { ledPins: [{ action: 'capture', pin: 5 }], gamepad: { 0: 'capture', 1: 'undo' } },
      allowedHosts: ['booth.local'],
      allowedOrigins: ['http://a:1', 'http://b:2'],
      disk: { minFreeBytes: 1024 * 1024 },
      ui: { claimNext: { action: 'finish', presses: 3 }, designer: false },
      watchdog: { seconds: 30, command: 'systemctl --user restart "kiosk app"' },
    });
  });

  it.each([
    [{ BUTTON_PINS: 'capture:17,jump:4' }, 'BUTTON_PINS: "jump:4" is not <capture|undo|play|finish>:<pin>'],
    [{ LED_PINS: 'capture:5,undo:5' }, 'LED_PINS: pin 5 is used twice'],
    [{ BUTTON_KEYS: 'Space' }, 'BUTTON_KEYS: "Space" is not <key>:<capture|undo|play|finish>'],
    [{ BUTTON_GAMEPAD: '0:jump' }, 'BUTTON_GAMEPAD: "0:jump" is not <button number>:<capture|undo|play|finish>'],
    [{ BUTTON_GAMEPAD: 'A:capture' }, 'BUTTON_GAMEPAD: buttons are numbers, like "0:capture,1:undo"'],
    [{ CAMERA: 'replay' }, 'CAMERA_SOURCE: required with CAMERA=replay (a folder of JPEGs or a video file)'],
    [{ DELIVERY_RETRY_MIN_MS: '5000', DELIVERY_RETRY_MAX_MS: '4000' }, 'DELIVERY_RETRY_MAX_MS: must not be below DELIVERY_RETRY_MIN_MS'],
    [{ UI_WATCHDOG_SECONDS: '30' }, 'UI_RESTART_COMMAND: required when UI_WATCHDOG_SECONDS is set'],
    [{ UI_RESTART_COMMAND: 'restart "kiosk' }, 'UI_RESTART_COMMAND: unbalanced quotes'],
    [
      { PROCESSOR_REPORT_URL: 'http://10.0.0.2:8761/api/report' },
      'PROCESSOR_REPORT_URL: reports are signed with the delivery secret; set RSYNC_PASSWORD or RSYNC_PASSWORD_FILE',
    ],
    [{ STATION_PORT: 'eighty' }, 'STATION_PORT: must be a whole number from 0 to 65535, got "eighty"'],
    [{ ONION_OPACITY: '2' }, 'ONION_OPACITY: must be a number from 0 to 1, got "2"'],
  ])('%o is refused: %s', (env, message) => {
    expect(errorsOf(env)).toEqual([message]);
  });

  it('lists the rules across variables beside the bad variables', () => {
    const problems = errorsOf({ STATION_PORT: 'eighty', CAMERA: 'replay', UI_WATCHDOG_SECONDS: '30', LOCALE: 'fr' }).join('\n');
    for (const name of ['STATION_PORT', 'LOCALE', 'CAMERA_SOURCE', 'UI_RESTART_COMMAND']) expect(problems).toContain(`${name}:`);
  });

  it('checks a rule only on valid variables: a bad CAMERA is reported once, not as a quality problem too', () => {
    expect(errorsOf({ CAMERA: 'webcam', CAMERA_QUALITY: '5' })).toEqual([expect.stringMatching(/^CAMERA: /)]);
  });

  it('refuses a CAMERA_QUALITY off the chosen camera’s scale, naming the scale', () => {
    const [problem, ...rest] = errorsOf({ CAMERA: 'v4l2', CAMERA_QUALITY: '1000' });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^CAMERA_QUALITY: with CAMERA=v4l2 it is .+: a whole number from \d+ to \d+, got "1000"$/);
  });
});
