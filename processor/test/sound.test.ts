import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MpvClient, type TempDir, tempDir, waitFor } from '@stop-motion/e2e';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Processor, startProcessor } from '../src/index.js';
import { MpvPlayer } from '../src/mpv.js';
import { PlaylistStore } from '../src/playlist.js';
import { ScreenSound, type ScreenSoundConfig } from '../src/screen-sound.js';
import { execFileP } from './helpers.js';

const RATE = 48_000;
const FILM_SECONDS = 3;
const FILM_ID = '01JAAAAAAAAAAAAAAAAAAAAAAA';

/** Mono 16-bit samples of a WAV file (mpv's ao_pcm writes WAVE_FORMAT_EXTENSIBLE); the header may still say 0 bytes while it writes. */
function wavSamples(buf: Buffer): Int16Array {
  let at = 12;
  let bits = 0;
  let channels = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(at + 10);
      bits = buf.readUInt16LE(at + 22);
    } else if (id === 'data') {
      if (bits !== 16 || channels !== 1) throw new Error(`unexpected WAV: ${bits}-bit, ${channels} channels`);
      const body = buf.subarray(at + 8);
      return new Int16Array(body.buffer.slice(body.byteOffset, body.byteOffset + (body.length & ~1)));
    }
    at += 8 + size + (size & 1);
  }
  throw new Error('no data chunk in the WAV file');
}

/** RMS (0–1) of samples[from, to) in seconds. */
function rms(s: Int16Array, fromS: number, toS: number): number {
  const a = Math.floor(fromS * RATE);
  const b = Math.min(s.length, Math.floor(toS * RATE));
  if (b - a < RATE / 10) throw new Error(`only ${b - a} samples between ${fromS} s and ${toS} s`);
  let sum = 0;
  for (let i = a; i < b; i++) sum += ((s[i] as number) / 32768) ** 2;
  return Math.sqrt(sum / (b - a));
}

/** The loudest 0.5 s window between two times: a loop restart's gap may fall anywhere. */
function loudest(s: Int16Array, fromS: number, toS: number): number {
  let best = 0;
  for (let t = fromS; t + 0.5 <= toS; t += 0.25) best = Math.max(best, rms(s, t, t + 0.5));
  return best;
}

function peak(s: Int16Array, fromS: number, toS: number): number {
  let p = 0;
  for (let i = Math.floor(fromS * RATE); i < Math.min(s.length, Math.floor(toS * RATE)); i++) p = Math.max(p, Math.abs(s[i] as number));
  return p / 32768;
}

const dB = (ratio: number) => 20 * Math.log10(ratio);
const seconds = async (file: string) => (existsSync(file) ? Math.max(0, ((await stat(file)).size - 80) / 2 / RATE) : 0);

describe('the big screen plays the soundtrack (real mpv, --ao=pcm)', () => {
  let dir: TempDir;
  let film: string;
  /** RMS of the film's own audio, decoded by ffmpeg. */
  let reference: number;
  let player: MpvPlayer | null = null;
  let sound: ScreenSound | null = null;
  let run = 0;

  beforeAll(async () => {
    dir = await tempDir('proc-sound');
    film = path.join(dir.path, 'film.mp4');
    // A sine at ffmpeg's default amplitude (1/8), AAC in the MP4 like a film with a soundtrack.
    await execFileP('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=s=320x240:r=10:d=${FILM_SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=f=440:sample_rate=${RATE}:d=${FILM_SECONDS}`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-b:a', '128k', '-shortest', film],
    ]);
    const { stdout } = await execFileP('ffmpeg', ['-v', 'error', '-i', film, '-f', 's16le', '-ac', '1', '-ar', String(RATE), '-'], {
      encoding: 'buffer',
      maxBuffer: 64 << 20,
    });
    const pcm = stdout as unknown as Buffer;
    reference = rms(new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + (pcm.length & ~1))), 0.5, FILM_SECONDS - 0.5);
    expect(reference).toBeGreaterThan(0.05);
  });

  afterEach(async () => {
    sound?.stop();
    await player?.stop();
    player = null;
    sound = null;
  });

  afterAll(async () => {
    await dir?.remove();
  });

  /** The processor's player on a playlist of the one film, writing what mpv plays to a WAV file. */
  async function play(config: Omit<ScreenSoundConfig, 'timeZone'>, clock: { now: Date }) {
    run++;
    const wav = path.join(dir.path, `out-${run}.wav`);
    const store = new PlaylistStore(path.join(dir.path, `data-${run}`), 10);
    await store.load();
    await store.add({ id: FILM_ID, file: film });
    const log = pino({ level: 'silent' });
    const s = new ScreenSound({
      config: { ...config, timeZone: 'UTC' },
      apply: () => (player ? player.setSound() : Promise.resolve()),
      log,
      now: () => clock.now,
    });
    sound = s;
    player = new MpvPlayer({
      store,
      log,
      attachSocket: undefined,
      ownSocket: path.join(dir.path, `mpv-${run}.sock`),
      fullscreen: false,
      extraArgs: ['--no-config', '--vo=null', '--ao=pcm', `--ao-pcm-file=${wav}`, '--audio-format=s16', '--audio-channels=mono'],
      idleSlide: null,
      sound: () => s.current(),
    });
    await player.start();
    s.start();
    const ipc = await MpvClient.connect(path.join(dir.path, `mpv-${run}.sock`));
    return { wav, ipc, sound: s };
  }

  const samplesOf = async (wav: string) => wavSamples(await readFile(wav));
  const audioFor = (wav: string, s: number) =>
    waitFor(`${s} s of audio from mpv`, async () => (await seconds(wav)) >= s || undefined, { timeoutMs: 60_000, intervalMs: 100 });

  it('at volume 100 the film plays at its own level', async () => {
    const { wav, ipc } = await play({ volume: 100, mute: false, quietHours: null }, { now: new Date('2026-12-02T12:00:00Z') });
    await audioFor(wav, FILM_SECONDS);
    ipc.close();
    const level = rms(await samplesOf(wav), 0.5, FILM_SECONDS - 0.5);
    expect(Math.abs(dB(level / reference))).toBeLessThan(1);
  }, 90_000);

  it('SCREEN_VOLUME 50 is mpv’s cubic curve: (50/100)³ of the level, −18 dB', async () => {
    const { wav, ipc } = await play({ volume: 50, mute: false, quietHours: null }, { now: new Date('2026-12-02T12:00:00Z') });
    await audioFor(wav, FILM_SECONDS);
    expect(await ipc.getProperty('volume')).toBe(50);
    ipc.close();
    const level = rms(await samplesOf(wav), 0.5, FILM_SECONDS - 0.5);
    expect(Math.abs(dB(level / reference) - dB(0.125))).toBeLessThan(1);
  }, 90_000);

  it('SCREEN_MUTE: mpv writes silence', async () => {
    const { wav, ipc } = await play({ volume: 100, mute: true, quietHours: null }, { now: new Date('2026-12-02T12:00:00Z') });
    await audioFor(wav, FILM_SECONDS);
    expect(await ipc.getProperty('mute')).toBe(true);
    ipc.close();
    expect(peak(await samplesOf(wav), 0, FILM_SECONDS)).toBe(0);
  }, 90_000);

  it('quiet hours mute the screen live when they start and give the sound back when they end', async () => {
    const clock = { now: new Date('2026-12-02T21:59:00Z') };
    const { wav, ipc, sound: s } = await play({ volume: 100, mute: false, quietHours: { startMinute: 22 * 60, endMinute: 8 * 60 } }, clock);
    await audioFor(wav, 1.5);
    expect(loudest(await samplesOf(wav), 0, 1.5) / reference).toBeGreaterThan(0.8);

    clock.now = new Date('2026-12-02T22:00:00Z');
    await s.check();
    expect(await ipc.getProperty('mute')).toBe(true);
    // What mpv had buffered before the change may still come out; after that, silence.
    const mutedAt = await seconds(wav);
    await audioFor(wav, mutedAt + 3);
    expect(peak(await samplesOf(wav), mutedAt + 1, mutedAt + 3)).toBe(0);

    clock.now = new Date('2026-12-03T08:00:00Z');
    await s.check();
    expect(await ipc.getProperty('mute')).toBe(false);
    const loudAt = await seconds(wav);
    await audioFor(wav, loudAt + 4);
    ipc.close();
    expect(Math.abs(dB(loudest(await samplesOf(wav), loudAt + 1, loudAt + 4) / reference))).toBeLessThan(1);
  }, 120_000);
});

describe('SCREEN_* configure the processor’s mpv', () => {
  let dir: TempDir;
  let p: Processor | null = null;

  beforeAll(async () => {
    dir = await tempDir('proc-sound-cfg');
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('a quiet-hours window around now starts mpv muted at the configured volume', async () => {
    const h = new Date().getUTCHours();
    const hh = (n: number) => String((n + 24) % 24).padStart(2, '0');
    p = await startProcessor(
      loadConfig({
        PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
        PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
        PROCESSOR_PORT: '0',
        PLAYER: 'mpv',
        MPV_FULLSCREEN: 'false',
        MPV_EXTRA_ARGS: '--vo=null --ao=null --no-config',
        EVENT_TIMEZONE: 'UTC',
        SCREEN_VOLUME: '35',
        SCREEN_QUIET_HOURS: `${hh(h - 1)}:00-${hh(h + 2)}:00`,
      }),
      { logger: pino({ level: 'silent' }) },
    );
    const ipc = await MpvClient.connect(path.join(p.config.dataDir, 'mpv.sock'));
    try {
      expect(await ipc.getProperty('volume')).toBe(35);
      expect(await ipc.getProperty('mute')).toBe(true);
      expect((await p.pipeline.status()).player).toMatchObject({ sound: { volume: 35, mute: true, quiet: true } });
    } finally {
      ipc.close();
    }
  }, 60_000);
});
