import { describe, expect, it } from 'vitest';
import { loadConfig, parseButtonPins, parseCommandLine } from '../src/config.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const r = loadConfig({}, '/srv');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.host).toBe('127.0.0.1');
    expect(r.config.port).toBe(8750);
    expect(r.config.dataDir).toBe('/srv/data/station');
    expect(r.config.camera).toMatchObject({ kind: 'test', width: 1280, height: 720, fps: 30 });
    expect(r.config.captureSettleMs).toBe(33);
    expect(r.config.maxFrames).toBe(300);
    expect(r.config.movieFps).toBe(10);
    expect(r.config.buttons.pins).toEqual([
      { action: 'capture', pin: 17 },
      { action: 'undo', pin: 27 },
      { action: 'play', pin: 22 },
      { action: 'finish', pin: 23 },
    ]);
    expect(r.config.uiDir.endsWith('station-ui/dist')).toBe(true);
  });

  it('reads real buttons by default in production, simulated ones only when asked or in development', () => {
    const prod = loadConfig({ NODE_ENV: 'production' });
    expect(prod.ok && prod.config.buttons.kind).toBe('gpiomon');
    expect(prod.ok && prod.config.ui.designer).toBe(false);
    const asked = loadConfig({ NODE_ENV: 'production', BUTTONS: 'sim' });
    expect(asked.ok && asked.config.buttons.kind).toBe('sim');
    const dev = loadConfig({ NODE_ENV: 'development' });
    expect(dev.ok && dev.config.buttons.kind).toBe('sim');
  });

  it('lists every bad variable at once', () => {
    const r = loadConfig({
      STATION_PORT: 'eighty',
      CAMERA: 'webcam',
      CAMERA_FPS: '0',
      BUTTONS: 'laser',
      BUTTON_PINS: 'capture:17,jump:4',
      MAX_FRAMES: '-3',
      LOCALE: 'fr',
      GALLERY_PUBLIC_URL: 'not a url',
      STATION_ID: '../etc',
      SOUND: 'maybe',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    for (const name of [
      'STATION_PORT',
      'CAMERA',
      'CAMERA_FPS',
      'BUTTONS',
      'BUTTON_PINS',
      'MAX_FRAMES',
      'LOCALE',
      'GALLERY_PUBLIC_URL',
      'STATION_ID',
      'SOUND',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('needs CAMERA_SOURCE for replay and a command for the watchdog', () => {
    const r = loadConfig({ CAMERA: 'replay', UI_WATCHDOG_SECONDS: '30' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toMatch(/CAMERA_SOURCE/);
    expect(r.errors.join('\n')).toMatch(/UI_RESTART_COMMAND/);
  });

  it('reads UI settings from env', () => {
    const r = loadConfig({
      LOCALE: 'he',
      IDLE_MINUTES: '2.5',
      IDLE_ACTION: 'clear',
      TITLE_ENABLED: 'true',
      SOUND: 'off',
      GALLERY_PUBLIC_URL: 'https://films.example/',
      BUTTON_KEYS: 'Space:capture,Backspace:undo',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.ui).toMatchObject({
      locale: 'he',
      idleMinutes: 2.5,
      idleAction: 'clear',
      titleEnabled: true,
      sound: false,
      galleryPublicUrl: 'https://films.example',
    });
    expect(r.config.buttons.keys).toEqual({ Space: 'capture', Backspace: 'undo' });
  });
});

describe('parseButtonPins', () => {
  it.each([
    ['capture:17', [{ action: 'capture', pin: 17 }]],
    [
      ' capture:17 , undo:27 ',
      [
        { action: 'capture', pin: 17 },
        { action: 'undo', pin: 27 },
      ],
    ],
    ['', []],
  ])('%j', (text, pins) => {
    expect(parseButtonPins(text)).toEqual({ ok: true, pins });
  });
  it.each(['capture', 'capture:x', 'fire:3', 'capture:1,undo:1', 'capture:1,capture:2'])('refuses %j', (text) => {
    expect(parseButtonPins(text).ok).toBe(false);
  });
});

describe('parseCommandLine', () => {
  it.each([
    ['systemctl --user restart kiosk', ['systemctl', '--user', 'restart', 'kiosk']],
    ['  a   b  ', ['a', 'b']],
    [`sh -c 'echo $HOME; rm -rf /'`, ['sh', '-c', 'echo $HOME; rm -rf /']],
    ['say "hello world" \\"x\\"', ['say', 'hello world', '"x"']],
    ['a "" b', ['a', '', 'b']],
    ['a$(b) `c` ;d', ['a$(b)', '`c`', ';d']],
  ])('%j', (text, argv) => {
    expect(parseCommandLine(text)).toEqual(argv);
  });
  it('null for an open quote', () => {
    expect(parseCommandLine('a "b')).toBeNull();
  });
});

describe('BUTTON_GAMEPAD', () => {
  it.each([
    ['0:capture,1:undo,2:play,3:finish', { 0: 'capture', 1: 'undo', 2: 'play', 3: 'finish' }],
    ['5:capture, 4:undo', { 5: 'capture', 4: 'undo' }],
  ])('%j is read as button numbers', (text, map) => {
    const r = loadConfig({ BUTTON_GAMEPAD: text });
    expect(r.ok && r.config.buttons.gamepad).toEqual(map);
  });

  it.each([
    ['A:capture', 'buttons are numbers'],
    ['0:jump', 'is not <button number>:<capture|undo|play|finish>'],
  ])('%j is refused with a reason', (text, reason) => {
    const r = loadConfig({ BUTTON_GAMEPAD: text });
    expect(!r.ok && r.errors.find((e) => e.startsWith('BUTTON_GAMEPAD: '))).toContain(reason);
  });
});
