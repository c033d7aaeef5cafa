/**
 * The engine work of the Tasks panel (issue 14): score the chosen task on the baseline (no drops) and on
 * the current configuration, through the workbench's engine queue (queue.extensionCall), so a toggle
 * cancels the call in flight and the pipeline refreshes perplexity first; the runner then scores the new
 * configuration. Results go into the tasks slice, keyed by task choice and drop configuration, so a
 * toggle back (or a curve point already scored) costs nothing. The curves (lab-controller.ts) score their
 * points through `score` too.
 */
import type { DropConfig, Progress, TaskItems, TaskResult, TaskSpec } from '../engine/api';
import { OFFLINE_TASK, parseTaskJsonl } from '../engine/api';
import type { WorkbenchController } from './controller';
import { NO_DROPS } from './drops';
import { untilSettled } from './engine-queue';
import { uiError, type WorkbenchStore } from './store';
import { resultKey, sameChoice, sourceKey, type TaskChoice, type TaskSource } from './tasks';

export class TaskRunner {
  /** Parsed items by source key (the offline task is fetched once, a JSONL file parsed once). */
  private readonly items = new Map<string, TaskItems>();
  /** Result keys whose scoring failed (not retried until the task is chosen again). */
  private readonly failed = new Set<string>();
  private busy: Promise<void> | null = null;

  constructor(
    private readonly store: WorkbenchStore,
    private readonly controller: WorkbenchController,
  ) {}

  private get s() {
    return this.store.getState();
  }

  /** The model load results belong to. */
  private context(): string {
    const info = this.s.model.info;
    return info ? `g${this.s.model.generation}` : '';
  }

  /** Choose a task (null: none) and score it on the baseline and the current configuration. */
  choose(choice: TaskChoice | null): Promise<void> {
    if (!sameChoice(choice, this.s.tasks.choice)) this.s.setTaskChoice(choice);
    this.failed.clear();
    return this.request();
  }

  /**
   * A JSONL file the person opened: parsed first (a bad line is refused naming it, and the choice stays
   * as it was); then chosen with the selection given.
   */
  chooseJsonl(name: string, text: string, limit: number | null, seed: number | null): Promise<void> {
    const source: TaskSource = { kind: 'jsonl', name, text };
    try {
      this.items.set(sourceKey(source), parseTaskJsonl(text, name));
    } catch (e) {
      this.s.setTaskJob({ state: 'error', which: null, fraction: 0, error: uiError(e).message });
      return Promise.resolve();
    }
    return this.choose({ source, limit, seed });
  }

  /** What the engine is given for a source: items in hand (offline, JSONL) or a built-in task's spec. */
  private async input(source: TaskSource): Promise<TaskItems | TaskSpec> {
    if (source.kind === 'builtin') return { kind: 'builtin', name: source.name };
    const key = sourceKey(source);
    const known = this.items.get(key);
    if (known) return known;
    const items =
      source.kind === 'offline'
        ? parseTaskJsonl(await this.controller.fetchPublic(OFFLINE_TASK.file), OFFLINE_TASK.name)
        : parseTaskJsonl(source.text, source.name);
    this.items.set(key, items);
    return items;
  }

  /**
   * Score `choice` with `drop` on the engine queue (with each item's text, for the item view). Resolves
   * null when a change of drops, model or text pre-empted it, or `signal` aborted it; rejects with the
   * engine's error (TaskError, DatasetError, ...).
   */
  async score(
    choice: TaskChoice,
    drop: DropConfig,
    onProgress?: (p: Progress) => void,
    signal?: AbortSignal,
  ): Promise<TaskResult | null> {
    const ctx = this.context();
    const input = await this.input(choice.source);
    const opts = {
      includeText: true,
      ...(choice.limit !== null ? { limit: choice.limit } : {}),
      ...(choice.limit !== null && choice.seed !== null ? { seed: choice.seed } : {}),
    };
    const r = await this.controller.queue.extensionCall(
      'scoreTask',
      (e) => untilSettled(onProgress ?? (() => {}), (p) => e.scoreTask(input, drop, opts, p)),
      signal,
    );
    if (r && ctx && this.context() === ctx) {
      if (this.s.tasks.context !== ctx) this.s.setTasksContext(ctx);
      this.s.putTaskResult(ctx, resultKey(choice, drop), r);
    }
    return r;
  }

  /** The next result the panel lacks: the baseline first, then the current configuration. */
  private next(): { choice: TaskChoice; drop: DropConfig; which: 'baseline' | 'current' } | null {
    const s = this.s;
    const choice = s.tasks.choice;
    const ctx = this.context();
    if (!choice || !ctx || s.model.status !== 'ready') return null;
    const known = s.tasks.context === ctx ? s.tasks.results : {};
    for (const [which, drop] of [
      ['baseline', NO_DROPS],
      ['current', s.drops.current],
    ] as const) {
      const key = resultKey(choice, drop);
      if (!known[key] && !this.failed.has(key)) return { choice, drop, which };
    }
    return null;
  }

  /** Score what the panel lacks (after a toggle, a new task, a new model). One loop runs at a time. */
  request(): Promise<void> {
    if (this.busy) return this.busy.then(() => this.request());
    const run = this.loop().finally(() => {
      if (this.busy === run) this.busy = null;
    });
    this.busy = run;
    return run;
  }

  private async loop(): Promise<void> {
    const ctx = this.context();
    if (ctx && this.s.tasks.context !== ctx) this.s.setTasksContext(ctx);
    for (;;) {
      const need = this.next();
      if (!need) {
        if (this.s.tasks.job.state === 'running') this.s.setTaskJob({ state: 'idle', which: null, fraction: 0 });
        return;
      }
      this.s.setTaskJob({ state: 'running', which: need.which, fraction: 0, error: null });
      const progress = (p: Progress) => {
        if (p.total > 0 && this.s.tasks.job.which === need.which)
          this.s.setTaskJob({ fraction: Math.min(1, (p.done + 1) / p.total) });
      };
      let r: TaskResult | null;
      try {
        r = await this.score(need.choice, need.drop, progress);
      } catch (e) {
        this.failed.add(resultKey(need.choice, need.drop));
        this.s.setTaskJob({ state: 'error', which: null, fraction: 0, error: uiError(e).message });
        return;
      }
      // Pre-empted by a change of drops, model or text: let the pipeline refresh first, then go on.
      if (!r) await this.controller.queue.idle();
    }
  }
}

const runners = new WeakMap<WorkbenchController, TaskRunner>();

/** The one TaskRunner of a workbench. */
export function tasksFor(store: WorkbenchStore, controller: WorkbenchController): TaskRunner {
  let r = runners.get(controller);
  if (!r) {
    r = new TaskRunner(store, controller);
    runners.set(controller, r);
  }
  return r;
}
