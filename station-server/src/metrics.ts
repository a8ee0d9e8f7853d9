import { createMetricsRegistry } from '@stop-motion/kit';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { CameraSupervisor } from './camera/supervisor.js';
import type { Delivery } from './delivery/delivery.js';
import type { Station } from './station.js';

/** Press to frame on disk: the settle time (a few hundred ms) plus the write. */
const CAPTURE_BUCKETS = [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];
/** The live fps gauge counts frames over this window. */
const FPS_WINDOW_MS = 2000;

/**
 * The station's Prometheus metrics (names in the README), fed by the station's own
 * events; served at /metrics on the loopback server, behind its Host check.
 */
export class StationMetrics {
  readonly registry = createMetricsRegistry();
  private readonly captures: Counter<'result' | 'reason'>;
  private readonly latency: Histogram;
  private frames: number[] = [];
  private detach: Array<() => void> = [];

  constructor(sources: { station: Station; camera: CameraSupervisor; delivery: Delivery }) {
    const registers = [this.registry];
    this.captures = new Counter({
      name: 'stopmotion_station_captures_total',
      help: 'Capture presses, by result (ok, refused) and the reason of a refusal.',
      labelNames: ['result', 'reason'],
      registers,
    });
    this.captures.inc({ result: 'ok', reason: '' }, 0);
    this.latency = new Histogram({
      name: 'stopmotion_station_capture_latency_seconds',
      help: 'From the capture press to the frame stored on disk.',
      buckets: CAPTURE_BUCKETS,
      registers,
    });
    const frames = () => this.frames;
    const trim = (now: number) => {
      this.frames = this.frames.filter((t) => now - t <= FPS_WINDOW_MS);
    };
    new Gauge({
      name: 'stopmotion_station_live_fps',
      help: `Camera frames per second over the last ${FPS_WINDOW_MS / 1000} s (0 while the camera is away).`,
      registers,
      collect() {
        trim(performance.now());
        this.set(frames().length / (FPS_WINDOW_MS / 1000));
      },
    });
    const deliveries = new Counter({
      name: 'stopmotion_station_deliveries_total',
      help: 'Packages delivered to the processor.',
      registers,
    });
    const failures = new Counter({
      name: 'stopmotion_station_delivery_failures_total',
      help: 'Delivery attempts that failed (the processor away, rsync refused).',
      registers,
    });
    new Gauge({
      name: 'stopmotion_station_outbox_packages',
      help: 'Finished packages waiting in the outbox.',
      registers,
      collect() {
        this.set(sources.delivery.status().pending);
      },
    });
    const onFrame = (f: { at: number }) => {
      this.frames.push(f.at);
      if (this.frames.length > 1000) trim(f.at);
    };
    sources.camera.on('frame', onFrame);
    let lastErrorAt: string | null = sources.delivery.status().lastErrorAt;
    const onStatus = (s: { lastErrorAt: string | null }) => {
      if (s.lastErrorAt !== null && s.lastErrorAt !== lastErrorAt) failures.inc();
      lastErrorAt = s.lastErrorAt;
    };
    const onDelivered = () => deliveries.inc();
    sources.delivery.on('status', onStatus);
    sources.delivery.on('delivered', onDelivered);
    const onEvent = (e: { name: string; data: unknown }) => {
      if (e.name === 'capture.refused')
        this.captures.inc({ result: 'refused', reason: String((e.data as { reason?: unknown }).reason ?? '') });
    };
    sources.station.on('event', onEvent as never);
    this.detach.push(
      () => sources.camera.off('frame', onFrame),
      () => sources.delivery.off('status', onStatus),
      () => sources.delivery.off('delivered', onDelivered),
      () => sources.station.off('event', onEvent as never),
    );
  }

  /** A frame stored for a press, `ms` after it. */
  captured(ms: number): void {
    this.captures.inc({ result: 'ok', reason: '' });
    this.latency.observe(ms / 1000);
  }

  stop(): void {
    for (const d of this.detach) d();
    this.detach = [];
  }
}
