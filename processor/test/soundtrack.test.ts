import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { tempDir } from '@stop-motion/e2e';
import { type ManifestV1, TRACKS_FILE, type TracksFile } from '@stop-motion/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOUDNESS_TARGET } from '../src/args.js';
import { loadConfig } from '../src/config.js';
import { filmMeta } from '../src/film-meta.js';
import { type Processor, startProcessor } from '../src/index.js';
import { jobSchema } from '../src/jobs.js';
import { execFileP, probeVideo, writePackage } from './helpers.js';

const FPS = 10;
const TITLE_SECONDS = 1;
const FRAMES = 100;
const FILM_SECONDS = TITLE_SECONDS + FRAMES / FPS;

/** A music-like test track: a tone with a slow tremolo over pink noise, quiet (about −30 LUFS) so the mix must raise it. */
async function makeTrack(file: string, seconds: number): Promise<void> {
  await execFileP('ffmpeg', [
    ...['-hide_banner', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=44100:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.05:sample_rate=44100:duration=${seconds}`],
    '-filter_complex',
    '[0:a]tremolo=f=2:d=0.5[t];[t][1:a]amix=inputs=2,volume=0.1,aformat=channel_layouts=stereo',
    file,
  ]);
}

/** A tone with a click each second (−2 dBFS, 1 ms): the gain to −16 LUFS pushes the clicks over the peak limit. */
async function makePeakyTrack(file: string, seconds: number): Promise<void> {
  const wave = '0.1*sin(2*PI*1000*t)+if(lt(mod(t,1),0.001),0.8,0)';
  await execFileP('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='${wave}|${wave}':s=44100:d=${seconds}`,
    file,
  ]);
}

interface AudioStream {
  codec_name: string;
  duration: string;
}

async function audioStreams(file: string): Promise<AudioStream[]> {
  const { stdout } = await execFileP('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a',
    '-show_entries',
    'stream=codec_name,duration',
    '-of',
    'json',
    file,
  ]);
  return (JSON.parse(stdout) as { streams: AudioStream[] }).streams;
}

async function videoDuration(file: string): Promise<number> {
  const { stdout } = await execFileP('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

/** Integrated loudness and true peak by ffmpeg's EBU R128 meter (the last summary it prints). */
async function loudness(file: string): Promise<{ integrated: number; truePeak: number }> {
  const { stderr } = await execFileP('ffmpeg', [
    ...['-hide_banner', '-nostats', '-i', file, '-map', '0:a'],
    ...['-af', 'ebur128=peak=true:framelog=verbose', '-f', 'null', '-'],
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const i = /Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS/.exec(summary)?.[1];
  const tp = /True peak:\s+Peak:\s+(-?[\d.]+) dBFS/.exec(summary)?.[1];
  if (i === undefined || tp === undefined) throw new Error(`no ebur128 summary: ${stderr.slice(-500)}`);
  return { integrated: Number(i), truePeak: Number(tp) };
}

/** Mean level (dBFS, volumedetect) of `seconds` of audio from `start`. */
async function meanVolume(file: string, start: number, seconds: number): Promise<number> {
  const { stderr } = await execFileP('ffmpeg', [
    ...['-hide_banner', '-nostats', '-i', file, '-map', '0:a'],
    ...['-af', `atrim=start=${start}:duration=${seconds},volumedetect`, '-f', 'null', '-'],
  ]);
  const m = /mean_volume:\s+(-?[\d.]+|-inf) dB/.exec(stderr);
  if (!m?.[1]) throw new Error(`no volumedetect result: ${stderr.slice(-500)}`);
  return m[1] === '-inf' ? Number.NEGATIVE_INFINITY : Number(m[1]);
}

function collect(logs: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
}

async function waitForJob(p: Processor, id: string, states: string[], timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await p.pipeline.status();
    const job = (s.jobs as Array<Record<string, unknown>>).find((j) => j.id === id);
    if (job && states.includes(String(job.state))) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach ${states.join('/')}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const withSoundtrack = (soundtrack: string) => (_dir: string, m: ManifestV1 | null) => (m ? { ...m, soundtrack } : m);

async function storedMeta(p: Processor, id: string) {
  const job = jobSchema.parse(JSON.parse(await readFile(path.join(p.config.dataDir, 'jobs', `${id}.json`), 'utf8')));
  const meta = filmMeta(job);
  if (!meta.ok) throw new Error(meta.reason);
  return meta.meta;
}

describe('soundtrack', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-sound');
    const tracksDir = path.join(dir.path, 'tracks');
    await mkdir(tracksDir, { recursive: true });
    // Shorter than the film, so the mix must loop it.
    await makeTrack(path.join(tracksDir, 'happy.ogg'), 6);
    await makeTrack(path.join(tracksDir, 'calm.m4a'), 20);
    await makePeakyTrack(path.join(tracksDir, 'peaky.ogg'), 15);
    await writeFile(path.join(tracksDir, 'broken.ogg'), randomBytes(40_000));
    const tracks: TracksFile = {
      version: 1,
      tracks: [
        { id: 'happy', mood: 'happy', title: 'Happy', author: 'Test', licence: 'CC0-1.0', file: 'happy.ogg' },
        { id: 'calm', mood: 'calm', title: 'Calm', author: 'Test', licence: 'CC0-1.0', file: 'calm.m4a' },
        { id: 'peaky', mood: 'adventure', title: 'Peaky', author: 'Test', licence: 'CC0-1.0', file: 'peaky.ogg' },
        { id: 'broken', mood: 'silly', title: 'Broken', author: 'Test', licence: 'CC0-1.0', file: 'broken.ogg' },
        { id: 'gone', mood: 'spooky', title: 'Gone', author: 'Test', licence: 'CC0-1.0', file: 'gone.ogg' },
      ],
    };
    await writeFile(path.join(tracksDir, TRACKS_FILE), JSON.stringify(tracks));
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: String(TITLE_SECONDS),
      RENDER_THREADS: '1',
      RENDER_ENCODER: 'libx264',
      TRACKS_DIR: tracksDir,
    });
    p = await startProcessor(config, { logger: pino({ level: 'info' }, collect(logs)) });
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it.each([
    ['a looped .ogg shorter than the film', 'happy'],
    ['an .m4a longer than the film', 'calm'],
    ['loud clicks the gain would push over the peak limit', 'peaky'],
  ])(
    '%s: one AAC stream as long as the video, at −16 LUFS, peaks ≤ −1.5 dBTP, fading out; poster and preview silent',
    async (_name, track) => {
      const { id } = await writePackage(p.config.inboxDir, { frames: FRAMES, fps: FPS, tamper: withSoundtrack(track) });
      await waitForJob(p, id, ['done']);
      const film = path.join(p.config.dataDir, 'films', id);
      const movie = path.join(film, 'movie.mp4');
      const audio = await audioStreams(movie);
      expect(audio.map((a) => a.codec_name)).toEqual(['aac']);
      const video = await videoDuration(movie);
      expect(Math.abs(video - FILM_SECONDS)).toBeLessThanOrEqual(1 / FPS + 1e-6);
      expect(Math.abs(Number(audio[0]?.duration) - video)).toBeLessThanOrEqual(1 / FPS);
      const measured = await loudness(movie);
      expect(Math.abs(measured.integrated - LOUDNESS_TARGET.integrated), `integrated ${measured.integrated} LUFS`).toBeLessThanOrEqual(1);
      // 0.5 dB over the target allowed for the AAC encoder's own overshoot.
      expect(measured.truePeak, `true peak ${measured.truePeak} dBTP`).toBeLessThanOrEqual(LOUDNESS_TARGET.truePeak + 0.5);
      const middle = await meanVolume(movie, FILM_SECONDS / 2 - 0.25, 0.5);
      const end = await meanVolume(movie, FILM_SECONDS - 0.5, 0.5);
      expect(end, `last 0.5 s ${end} dB, middle ${middle} dB`).toBeLessThan(middle - 10);
      // The track starts under the title card.
      const underCard = await meanVolume(movie, 0.2, 0.5);
      expect(underCard).toBeGreaterThan(middle - 6);
      expect(await audioStreams(path.join(film, 'preview.mp4'))).toEqual([]);
      expect((await probeVideo(path.join(film, 'preview.mp4'))).frames).toBe(30);
      expect((await storedMeta(p, id)).audio).toBe(true);
    },
  );

  it('a film without a soundtrack has no audio stream and says so in meta.json', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 12, fps: FPS });
    await waitForJob(p, id, ['done']);
    expect(await audioStreams(path.join(p.config.dataDir, 'films', id, 'movie.mp4'))).toEqual([]);
    expect((await storedMeta(p, id)).audio).toBe(false);
    expect(logs.some((l) => l.id === id && l.event === 'render.silent')).toBe(false);
  });

  it.each([
    ['an unknown id', 'nosuchtrack', /no track nosuchtrack in tracks\.json/],
    ['a listed file that is missing', 'gone', /track file gone\.ogg is missing/],
    ['a corrupt file', 'broken', /track broken \(broken\.ogg\): the track does not decode/],
  ])('%s: a silent film with the reason logged, not a quarantine', async (_name, track, reason) => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 12, fps: FPS, tamper: withSoundtrack(track) });
    const job = await waitForJob(p, id, ['done', 'quarantined', 'failed']);
    expect(job.state).toBe('done');
    expect(job.frameCount).toBe(12);
    const movie = path.join(p.config.dataDir, 'films', id, 'movie.mp4');
    expect(await audioStreams(movie)).toEqual([]);
    expect((await probeVideo(movie)).frames).toBe(1 + 12);
    const silent = logs.find((l) => l.id === id && l.event === 'render.silent');
    expect(silent?.soundtrack).toBe(track);
    expect(String(silent?.reason)).toMatch(reason);
    expect((await storedMeta(p, id)).audio).toBe(false);
  });
});

describe('soundtrack without a tracks folder', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let p: Processor;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = await tempDir('proc-notracks');
    const config = loadConfig({
      PROCESSOR_DATA_DIR: path.join(dir.path, 'data'),
      PROCESSOR_INBOX: path.join(dir.path, 'inbox'),
      PROCESSOR_PORT: '0',
      TITLE_SECONDS: '0.5',
      RENDER_THREADS: '1',
      RENDER_PREVIEW: 'false',
      RENDER_ENCODER: 'libx264',
      TRACKS_DIR: path.join(dir.path, 'no-such-folder'),
    });
    p = await startProcessor(config, { logger: pino({ level: 'info' }, collect(logs)) });
  });
  afterAll(async () => {
    await p?.close();
    await dir?.remove();
  });

  it('makes a silent film and logs why', async () => {
    const { id } = await writePackage(p.config.inboxDir, { frames: 6, fps: FPS, tamper: withSoundtrack('happy') });
    const job = await waitForJob(p, id, ['done', 'quarantined', 'failed']);
    expect(job.state).toBe('done');
    expect(await audioStreams(path.join(p.config.dataDir, 'films', id, 'movie.mp4'))).toEqual([]);
    const silent = logs.find((l) => l.id === id && l.event === 'render.silent');
    expect(String(silent?.reason)).toMatch(/tracks\.json cannot be read in .*no-such-folder/);
  });
});
