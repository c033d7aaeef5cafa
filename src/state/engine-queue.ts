/**
 * The engine queue: engine calls run one at a time, in the order asked. An epoch counter says which work
 * is still wanted: a change of model, text, windows or drops supersedes everything queued or running
 * (supersede(): a new epoch, and the analysis call in flight is cancelled; a model load or a text is
 * never cancelled this way). Two kinds of call run on it:
 *
 *   step           a refresh-pipeline call: shows its task and progress on the store's task line,
 *                  reports its error there, resolves null when superseded
 *   extensionCall  a call of a view with its own engine work (curves, per-token view:
 *                  src/state/lab-controller.ts): no task line, resolves null when superseded or aborted
 *
 * Progress callbacks cross the worker boundary on their own channel, so one may arrive after its call's
 * result: untilSettled is the one guard against such late progress (the pipeline and the lab use it).
 */
import type { EngineClient, Progress } from '../engine/api';
import { type TaskName, type UiError, uiError } from './store';

/** What may be on the queue: pipeline tasks, a model (inspect or load) and a text. */
export type QueueTask = TaskName | 'load' | 'text';

/** Where a pipeline step reports (the store's results slice, and the controller's device-lost notice). */
export interface QueueReports {
  setTask(task: { name: TaskName; progress: Progress | null } | null): void;
  setResultsError(error: UiError | null): void;
  deviceLost(message: string): void;
}

export function isCancelled(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { code?: unknown }).code === 'CANCELLED';
}

/** Run `call` with a progress callback that forwards to `onProgress` only until the call settles. */
export async function untilSettled<T>(
  onProgress: (p: Progress) => void,
  call: (onProgress: (p: Progress) => void) => Promise<T>,
): Promise<T> {
  let settled = false;
  try {
    return await call((p) => {
      if (!settled) onProgress(p);
    });
  } finally {
    settled = true;
  }
}

export class EngineQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Bumped by every change that makes the work queued or in flight useless. */
  private epochNow = 0;
  private running: QueueTask | null = null;

  constructor(
    private readonly engine: EngineClient,
    private readonly reports: QueueReports,
  ) {}

  /** The current epoch: work started under an older one is superseded. */
  get epoch(): number {
    return this.epochNow;
  }

  /** The kind of the engine call in flight, if any. */
  get inFlight(): QueueTask | null {
    return this.running;
  }

  /** Run `fn` after every call queued before it. */
  enqueue<T>(kind: QueueTask, fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      this.running = kind;
      try {
        return await fn();
      } finally {
        this.running = null;
      }
    });
    this.tail = run.catch(() => {});
    return run;
  }

  /** Start a new epoch, cancelling the analysis call in flight; returns the new epoch. */
  supersede(): number {
    this.epochNow++;
    if (this.running && this.running !== 'load' && this.running !== 'text') this.engine.cancel();
    return this.epochNow;
  }

  /** Cancel a model load in flight (the model picker's Cancel). */
  cancelLoad(): void {
    if (this.running === 'load') this.engine.cancel();
  }

  /** A refresh-pipeline call of epoch `g`: null when superseded or failed (the error on the task line). */
  async step<T>(g: number, name: TaskName, fn: (onProgress: (p: Progress) => void) => Promise<T>): Promise<T | null> {
    if (g !== this.epochNow) return null;
    try {
      return await this.enqueue(name, async () => {
        if (g !== this.epochNow) return null;
        this.reports.setTask({ name, progress: null });
        try {
          return await untilSettled((p) => {
            if (g === this.epochNow) this.reports.setTask({ name, progress: p });
          }, fn);
        } finally {
          if (g === this.epochNow) this.reports.setTask(null);
        }
      });
    } catch (e) {
      const err = uiError(e);
      if (!isCancelled(e) && g === this.epochNow) this.reports.setResultsError(err);
      if (err.code === 'DEVICE_LOST') this.reports.deviceLost(err.message);
      return null;
    }
  }

  /**
   * Extension point for views with their own engine calls (curves, per-token view: src/state/lab-controller.ts).
   * Runs `fn` on the queue, behind the calls already queued. Like a pipeline step, a newer change of
   * drops, model or text cancels it (it resolves null), and so does `signal`. Other errors reject. The
   * store's task line is left to the pipeline: the caller shows its own progress (pass the engine an
   * onProgress of its own, through untilSettled).
   */
  async extensionCall<T>(
    name: TaskName,
    fn: (engine: EngineClient) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T | null> {
    const g = this.epochNow;
    if (signal?.aborted) return null;
    let running = false;
    const onAbort = () => {
      if (running) this.engine.cancel();
    };
    signal?.addEventListener('abort', onAbort);
    try {
      return await this.enqueue(name, async () => {
        if (g !== this.epochNow || signal?.aborted) return null;
        running = true;
        try {
          return await fn(this.engine);
        } finally {
          running = false;
        }
      });
    } catch (e) {
      if (isCancelled(e)) return null;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Resolves when the queue is idle (tests, and the lab controller before it tries again). */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.tail;
      await q;
      await new Promise((r) => setTimeout(r, 0));
      if (q === this.tail && !this.running) return;
    }
  }
}
