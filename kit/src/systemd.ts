import { ChildError, runProgram } from './child.js';

/**
 * The service side of sd_notify(3), shared by the three Node services: READY=1 once
 * listening, then WATCHDOG=1 every half of WatchdogSec, but only while the service's
 * own checks pass, so that systemd restarts a hung service and not only a dead one.
 *
 * Node has no unix datagram sockets, and the npm bindings (`sd-notify`, `unix-dgram`)
 * are native addons; the messages go through systemd's own `systemd-notify(1)`,
 * spawned without a shell and with a deadline. It waits for the manager to take the
 * message (BARRIER=1), so with NotifyAccess=all systemd attributes it to the unit.
 */

/** Half the watchdog interval systemd asked for, in ms; null when there is none for this process. Pure. */
export function watchdogPingMs(env: NodeJS.ProcessEnv, pid: number = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return null;
  // sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process that must ping.
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/** When each named inner loop last went round; a loop that has not is stuck. */
export class LoopBeats {
  private readonly last = new Map<string, number>();

  constructor(
    names: readonly string[],
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const n of names) this.last.set(n, this.now());
  }

  beat(name: string): void {
    this.last.set(name, this.now());
  }

  /** The loops whose last beat is older than `maxAgeMs`, with how old it is. */
  stuck(maxAgeMs: number): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const [name, at] of this.last) if (now - at > maxAgeMs) out.push(`${name} loop silent for ${Math.round((now - at) / 1000)} s`);
    return out;
  }
}

/** What is wrong, asking a server's own /healthz within a deadline: nothing when it answers 2xx. */
export async function probeHealth(url: string, timeoutMs: number): Promise<string[]> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok ? [] : [`/healthz answered ${res.status}`];
  } catch (err) {
    return [`/healthz did not answer within ${timeoutMs} ms: ${(err as Error).message}`];
  }
}

interface NotifyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SystemdNotifierOptions {
  log: NotifyLog;
  /** What is wrong with the service's own loops; WATCHDOG=1 is sent only when this is empty. */
  check?: () => string[] | Promise<string[]>;
  env?: NodeJS.ProcessEnv;
  /** The notify program (tests may point elsewhere). */
  command?: string;
  /** Deadline of one notify call. */
  timeoutMs?: number;
}

export class SystemdNotifier {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private withheld: string | null = null;
  private readonly env: NodeJS.ProcessEnv;
  readonly pingMs: number | null;

  constructor(private readonly options: SystemdNotifierOptions) {
    this.env = options.env ?? process.env;
    this.pingMs = this.env.NOTIFY_SOCKET ? watchdogPingMs(this.env) : null;
  }

  /** Whether a service manager listens at all. */
  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  /** READY=1, then the watchdog pings. A no-op outside systemd. */
  async ready(): Promise<void> {
    if (!this.enabled) return;
    await this.send('READY=1');
    this.options.log.info({ event: 'systemd.ready', watchdogPingMs: this.pingMs }, 'told systemd the service is ready');
    if (this.pingMs !== null) {
      const ms = this.pingMs;
      this.timer = setInterval(() => void this.tick(), ms);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.enabled) await this.send('STOPPING=1');
  }

  private async tick(): Promise<void> {
    // A notify call still running (a stopped manager) is not piled upon.
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      let problems: string[];
      try {
        problems = (await this.options.check?.()) ?? [];
      } catch (err) {
        problems = [`check failed: ${(err as Error).message}`];
      }
      if (!this.timer) return;
      if (problems.length > 0) {
        // Logged once when the pings stop, not on every tick while they stay stopped.
        if (this.withheld === null) this.options.log.warn({ event: 'systemd.watchdog_withheld', problems }, 'watchdog ping withheld');
        this.withheld = problems.join('; ');
        return;
      }
      if (this.withheld !== null) this.options.log.info({ event: 'systemd.watchdog_resumed' }, 'watchdog pings resumed');
      this.withheld = null;
      await this.send('WATCHDOG=1');
    } finally {
      this.inFlight = false;
    }
  }

  private async send(message: string): Promise<void> {
    const command = this.options.command ?? 'systemd-notify';
    try {
      await runProgram(command, [message], {
        timeoutMs: this.options.timeoutMs ?? 5000,
        graceMs: 1000,
        env: { PATH: this.env.PATH ?? process.env.PATH ?? '/usr/bin:/bin', NOTIFY_SOCKET: this.env.NOTIFY_SOCKET ?? '' },
      });
    } catch (err) {
      const stderr = err instanceof ChildError ? err.stderr : '';
      this.options.log.warn(
        { event: 'systemd.notify_failed', message, err: (err as Error).message.slice(0, 200), stderr: stderr.slice(0, 200) },
        'systemd notify failed',
      );
    }
  }
}
