import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { StationConfig } from '../config.js';
import type { Logger } from '../log.js';
import {
  type LockedControls,
  lockedControlsFromMetadata,
  replayVideoArgs,
  rpicamArgs,
  rpicamSettleArgs,
  testCameraArgs,
  v4l2Args,
} from './args.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { chooseMode, describeModes, lockV4l2Controls, parseFormatsExt, runV4l2Ctl, type V4l2Mode, v4l2CtlArgs } from './v4l2.js';

export interface CameraHandlers {
  /** One complete JPEG, exactly as the camera produced it. */
  onFrame(jpeg: Buffer): void;
  /** The camera stopped on its own (not through stop()). */
  onExit(reason: string): void;
}

/** A source of JPEG frames. Implementations: a spawned program, or a folder replayed in-process. */
export interface Camera {
  readonly kind: string;
  start(handlers: CameraHandlers): Promise<void>;
  stop(): Promise<void>;
  /** The modes the device offers and the one in use, once known (USB webcams). */
  modes?(): string | undefined;
}

/** A program that writes MJPEG to stdout (ffmpeg, rpicam-vid). */
export class ProcessCamera implements Camera {
  private child: ChildProcess | undefined;
  private stopping = false;
  private modeText: string | undefined;

  constructor(
    readonly kind: string,
    private readonly command: () =>
      | Promise<{ command: string; args: string[]; modes?: string }>
      | { command: string; args: string[]; modes?: string },
    private readonly log: Logger,
  ) {}

  modes(): string | undefined {
    return this.modeText;
  }

  async start(handlers: CameraHandlers): Promise<void> {
    this.stopping = false;
    const { command, args, modes } = await this.command();
    this.modeText = modes;
    if (this.stopping) return;
    this.log.info({ event: 'camera.spawn', command, args }, 'starting camera program');
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const splitter = new JpegSplitter();
    const stderr: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) handlers.onFrame(frame);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString('utf8'));
      if (stderr.length > 20) stderr.shift();
    });
    let reported = false;
    const report = (reason: string) => {
      if (reported) return;
      reported = true;
      if (this.child === child) this.child = undefined;
      if (!this.stopping) handlers.onExit(reason);
    };
    child.once('error', (err) => report(`${command} could not start: ${err.message}`));
    child.once('exit', (code, signal) => {
      const tail = stderr.join('').trim().split('\n').slice(-3).join(' | ').slice(0, 500);
      report(`${command} exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/** A folder of JPEGs played in a loop at the configured rate; bytes are sent as they are on disk. */
export class FolderCamera implements Camera {
  readonly kind = 'replay';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly fps: number,
  ) {}

  async start(handlers: CameraHandlers): Promise<void> {
    const files = (await readdir(this.dir)).filter((f) => /\.jpe?g$/i.test(f)).sort();
    if (files.length === 0) throw new Error(`no JPEG files in ${this.dir}`);
    let i = 0;
    let reading = false;
    this.timer = setInterval(() => {
      if (reading) return;
      reading = true;
      const file = files[i++ % files.length] as string;
      readFile(path.join(this.dir, file)).then(
        (data) => {
          reading = false;
          handlers.onFrame(data);
        },
        (err: Error) => {
          reading = false;
          clearInterval(this.timer);
          handlers.onExit(`cannot read ${file}: ${err.message}`);
        },
      );
    }, 1000 / this.fps);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Runs a program to completion (the settle run of the Pi camera). */
function runToEnd(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stderr: err.message });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** The controls for the Pi camera: fixed values from config, or measured once by a settle run. */
export async function rpicamControls(config: StationConfig['camera'], log: Logger): Promise<LockedControls> {
  const fixed: LockedControls = {
    shutterUs: config.shutterUs,
    gain: config.gain,
    awbGains: config.awbGains,
    lensPosition: config.lensPosition,
  };
  if (config.lock !== 'settle') return config.lock === 'fixed' ? fixed : {};
  const command = config.command ?? 'rpicam-vid';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rpicam-settle-'));
  try {
    const metadataFile = path.join(dir, 'metadata.json');
    const args = rpicamSettleArgs({ ...config, metadataFile });
    const run = await runToEnd(command, args, config.settleMs + 15_000);
    const text = await readFile(metadataFile, 'utf8').catch(() => '');
    const measured = lockedControlsFromMetadata(text);
    if (!measured) {
      log.warn(
        { event: 'camera.settle_failed', code: run.code, stderr: run.stderr.slice(-300) },
        'camera settle run gave no metadata; using automatic controls',
      );
      return fixed;
    }
    // Values given in config win over measured ones (e.g. a fixed lens position).
    const locked = { ...measured, ...Object.fromEntries(Object.entries(fixed).filter(([, v]) => v !== undefined)) };
    log.info({ event: 'camera.locked', locked }, 'camera controls locked after settling');
    return locked;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function createCamera(config: StationConfig['camera'], log: Logger): Camera {
  switch (config.kind) {
    case 'test':
      return new ProcessCamera('test', () => ({ command: config.command ?? 'ffmpeg', args: testCameraArgs(config) }), log);
    case 'v4l2': {
      const ctl = config.controlCommand ?? 'v4l2-ctl';
      let lockTimer: NodeJS.Timeout | undefined;
      return new ProcessCamera(
        'v4l2',
        async () => {
          const probe = await runV4l2Ctl(ctl, v4l2CtlArgs.listFormats(config.device));
          let mode: V4l2Mode = { input: 'mjpeg', width: config.width, height: config.height, fps: config.fps };
          let modes: string | undefined;
          if (probe.ok) {
            const formats = parseFormatsExt(probe.stdout);
            const chosen = chooseMode(formats, config);
            if (!chosen.ok) throw new Error(chosen.reason);
            mode = chosen.mode;
            modes = `${describeModes(formats)} (using ${mode.input === 'mjpeg' ? 'MJPG' : 'YUYV'} ${mode.width}x${mode.height}@${mode.fps})`;
            log.info({ event: 'camera.modes', modes }, 'USB camera modes');
          } else if (probe.reason.includes('not found')) {
            // Without v4l-utils the camera is opened as before: MJPEG, no locking.
            log.warn({ event: 'camera.probe.failed', reason: probe.reason }, 'camera modes unknown; trying MJPEG');
          } else {
            // The device is missing or broken: a failed start, retried by the supervisor.
            throw new Error(probe.reason);
          }
          // A camera that was unplugged comes back automatic: lock again after every start.
          clearTimeout(lockTimer);
          if (config.lock === 'settle' && probe.ok) {
            lockTimer = setTimeout(() => void lockV4l2Controls(ctl, config.device, log), config.settleMs);
            lockTimer.unref();
          }
          return { command: config.command ?? 'ffmpeg', args: v4l2Args({ ...config, ...mode }), modes };
        },
        log,
      );
    }
    case 'replay': {
      const source = config.source ?? '';
      if (!/\.(mp4|mkv|mov|webm|avi|mjpeg|mjpg|gif)$/i.test(source)) return new FolderCamera(source, config.fps);
      return new ProcessCamera(
        'replay',
        () => ({ command: config.command ?? 'ffmpeg', args: replayVideoArgs({ ...config, source }) }),
        log,
      );
    }
    case 'rpicam': {
      let locked: LockedControls | undefined;
      return new ProcessCamera(
        'rpicam',
        async () => {
          // Settle once per process lifetime; restarts reuse the locked values.
          locked ??= await rpicamControls(config, log);
          return { command: config.command ?? 'rpicam-vid', args: rpicamArgs({ ...config, locked }) };
        },
        log,
      );
    }
  }
}
