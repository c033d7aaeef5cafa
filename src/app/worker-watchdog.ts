/**
 * Notices a dead engine worker, which the browser does not report by itself: a worker that closed itself,
 * was terminated or hangs fires no event on the page, and every call to it then waits forever (the page
 * showed "computing…" for good). Pure logic with injected timers; worker-client.ts wires it to the Worker.
 *
 * When the engine counts as dead:
 * - at once on the worker's `error` event (an exception nothing in the worker caught: a script that failed
 *   to load, or a bug outside any call; the call it belonged to may never settle, and the engine's state
 *   is unknown) and on `messageerror` (a reply that could not be read: its call would never settle);
 * - after a heartbeat goes unanswered for `deadAfterMs` (default 60 s) while a call is in flight. Idle, no
 *   ping is sent: a worker that died idle is found out by the next call.
 *
 * Why 60 s and "unanswered" rather than a short timeout: onnxruntime-web's wasm backend runs a session on
 * the worker's own thread, so one long synchronous `session.run` (or session creation, or tokenizing a long
 * text) blocks the worker's event loop, and a ping waits behind it. The engine yields between sublayer runs,
 * windows and layers, so a healthy worker answers within seconds even on large models; a whole minute with
 * neither a pong nor a progress report nor a settled call is far beyond any single run we measured, and
 * nothing is lost by waiting (the experiment is in the URL). Any message counts as a sign of life: pongs,
 * progress callbacks and settled calls all reset the wait. A tick that fires late (a background tab's
 * throttled timers, a laptop waking from sleep: the worker was frozen too) starts the wait again instead of
 * counting the frozen time against the worker.
 */

export interface WatchdogOptions {
  /** Sends one heartbeat to the worker; the worker answers through `pong()`. */
  ping(seq: number): void;
  /** Called once, when the worker is declared dead, before any call is rejected. */
  onDead(message: string): void;
  /** The error every call in flight, and every later call, is rejected with. */
  error(message: string): Error;
  /** Heartbeat period while a call is in flight (default 5 s). */
  intervalMs?: number;
  /** A heartbeat unanswered this long means dead (default 60 s). */
  deadAfterMs?: number;
  now?: () => number;
  setInterval?: (f: () => void, ms: number) => unknown;
  clearInterval?: (t: unknown) => void;
}

export const HEARTBEAT_MS = 5_000;
export const DEAD_AFTER_MS = 60_000;

export class WorkerWatchdog {
  private readonly o: Required<WatchdogOptions>;
  private inFlight = 0;
  private timer: unknown = null;
  /** When the oldest heartbeat still unanswered was sent (null: none outstanding). */
  private awaitingSince: number | null = null;
  private lastTick = 0;
  private seq = 0;
  private deadMessage: string | null = null;
  private readonly rejecters = new Set<(e: Error) => void>();

  constructor(opts: WatchdogOptions) {
    this.o = {
      intervalMs: HEARTBEAT_MS,
      deadAfterMs: DEAD_AFTER_MS,
      now: () => performance.now(),
      setInterval: (f, ms) => setInterval(f, ms),
      clearInterval: (t) => clearInterval(t as ReturnType<typeof setInterval>),
      ...opts,
    };
  }

  get dead(): boolean {
    return this.deadMessage !== null;
  }

  /** Calls in flight (tests). */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Runs one call under watch: counted in flight while it runs, rejected at once if the worker dies
   * meanwhile, and refused at once when it is already dead.
   */
  track<T>(start: () => Promise<T>): Promise<T> {
    if (this.deadMessage !== null) return Promise.reject(this.o.error(this.deadMessage));
    this.begin();
    return new Promise<T>((resolve, reject) => {
      this.rejecters.add(reject);
      let p: Promise<T>;
      try {
        p = start();
      } catch (e) {
        p = Promise.reject(e);
      }
      const done = () => {
        if (!this.rejecters.delete(reject)) return; // already rejected by fail()
        this.heard();
        this.end();
      };
      p.then(
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
    });
  }

  /** Any message from the worker (a progress report, a reply). */
  heard(): void {
    this.awaitingSince = null;
  }

  /** The worker answered heartbeat `seq`. */
  pong(_seq: number): void {
    this.heard();
  }

  /** The worker is gone (its error or messageerror event): say so, and fail every call. */
  fail(reason: string): void {
    if (this.deadMessage !== null) return;
    this.deadMessage =
      `The engine stopped (${reason.replace(/\.\s*$/, '')}). Reload the page to start it again; your experiment ` +
      '(model, drops, text and windows) is kept in the link.';
    this.stopTimer();
    this.inFlight = 0;
    this.o.onDead(this.deadMessage);
    const err = this.o.error(this.deadMessage);
    const pending = [...this.rejecters];
    this.rejecters.clear();
    for (const r of pending) r(err);
  }

  private begin(): void {
    this.inFlight++;
    if (this.inFlight === 1) {
      this.awaitingSince = null;
      this.lastTick = this.o.now();
      this.timer = this.o.setInterval(() => this.tick(), this.o.intervalMs);
      this.sendPing();
    }
  }

  private end(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) {
      this.stopTimer();
      this.awaitingSince = null;
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) this.o.clearInterval(this.timer);
    this.timer = null;
  }

  private sendPing(): void {
    if (this.awaitingSince === null) this.awaitingSince = this.o.now();
    this.o.ping(++this.seq);
  }

  private tick(): void {
    if (this.deadMessage !== null || this.inFlight === 0) return;
    const now = this.o.now();
    const late = now - this.lastTick > 3 * this.o.intervalMs;
    this.lastTick = now;
    if (late) {
      // Our timers were frozen or throttled, and so, most likely, was the worker: wait afresh.
      this.awaitingSince = null;
    } else if (this.awaitingSince !== null && now - this.awaitingSince >= this.o.deadAfterMs) {
      this.fail(
        `no answer from the engine worker for ${Math.round((now - this.awaitingSince) / 1000)} s while it was working`,
      );
      return;
    }
    this.sendPing();
  }
}
