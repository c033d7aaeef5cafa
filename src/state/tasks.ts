/**
 * Task accuracy beside perplexity (issue 14, the workbench part): the Tasks slice and its pure helpers.
 *
 * A task choice is where the items come from (the offline task shipped in public/tasks, a JSONL file the
 * person opened, or a built-in lm-eval task read from the Hub) and which of them are scored (all, the
 * first N, or a seeded subsample of N). Results (engine TaskResult, scored as lm-eval does:
 * docs/TASKS.md) are kept per model load, task choice and drop configuration, so a toggle back, the
 * baseline and the curves' points cost nothing the second time. src/state/task-runner.ts does the engine work.
 */
import type { BuiltinTaskName, DropConfig, TaskResult } from '../engine/api';
import { BUILTIN_TASKS, OFFLINE_TASK } from '../engine/api';
import { dropKey } from './drops';
import { hashString } from './store';

export type TaskSource =
  | { kind: 'offline' }
  | { kind: 'builtin'; name: BuiltinTaskName }
  /** A JSONL file the person opened: its name and its whole text (validated by parseTaskJsonl). */
  | { kind: 'jsonl'; name: string; text: string };

export interface TaskChoice {
  source: TaskSource;
  /** Items scored: null = all. */
  limit: number | null;
  /** With a limit: a seeded subsample instead of the first N. */
  seed: number | null;
}

/** The panel's first choice: the offline task, its first 100 items (about 6 s on the bundled model). */
export const DEFAULT_TASK: TaskChoice = { source: { kind: 'offline' }, limit: 100, seed: null };

export const MAX_TASK_LIMIT = 100_000;
/** Largest seed a link holds (nine digits, as every whole number in a link). */
export const MAX_TASK_SEED = 999_999_999;
/** Task results kept per model load (each holds its items' texts for the item view). */
export const MAX_TASK_RESULTS = 96;

export interface TaskJob {
  state: 'idle' | 'running' | 'error';
  /** What is being scored: the baseline (no drops) or the current configuration. */
  which: 'baseline' | 'current' | null;
  /** Progress of the call in flight, 0..1. */
  fraction: number;
  error: string | null;
}

export interface TasksSlice {
  tasks: {
    /** The task chosen; null: none (the panel offers DEFAULT_TASK). */
    choice: TaskChoice | null;
    /** The model load the results belong to (`g<generation>`). */
    context: string;
    /** By resultKey(choice, drop). */
    results: Record<string, TaskResult>;
    job: TaskJob;
    /** The item the item view shows (its index in the task). */
    item: number | null;
    /** Flips and marks by acc_norm instead of acc. */
    norm: boolean;
  };
  setTaskChoice(choice: TaskChoice | null): void;
  putTaskResult(context: string, key: string, r: TaskResult): void;
  /** Results now belong to another model load: they start empty. */
  setTasksContext(context: string): void;
  setTaskJob(job: Partial<TaskJob>): void;
  selectTaskItem(index: number | null): void;
  setTaskNorm(norm: boolean): void;
}

export const IDLE_TASK_JOB: TaskJob = { state: 'idle', which: null, fraction: 0, error: null };

type SetState<S> = (partial: Partial<S> | ((s: S) => Partial<S>)) => void;

export function createTasksSlice<S extends TasksSlice>(set: SetState<S>): TasksSlice {
  const patch = (f: (t: TasksSlice['tasks']) => Partial<TasksSlice['tasks']>) =>
    set((s) => ({ tasks: { ...s.tasks, ...f(s.tasks) } }) as Partial<S>);
  return {
    tasks: { choice: null, context: '', results: {}, job: IDLE_TASK_JOB, item: null, norm: false },
    setTaskChoice: (choice) => patch(() => ({ choice, item: null, job: IDLE_TASK_JOB })),
    putTaskResult: (context, key, r) =>
      patch((t) => {
        if (t.context !== context) return {};
        const entries = Object.entries({ ...t.results, [key]: r });
        return { results: Object.fromEntries(entries.slice(-MAX_TASK_RESULTS)) };
      }),
    setTasksContext: (context) => patch(() => ({ context, results: {}, item: null })),
    setTaskJob: (job) => patch((t) => ({ job: { ...t.job, ...job } })),
    selectTaskItem: (item) => patch(() => ({ item })),
    setTaskNorm: (norm) => patch(() => ({ norm })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Pure helpers.

/** Where the items come from, as a cache key (a JSONL file by its name, length and hash). */
export function sourceKey(s: TaskSource): string {
  if (s.kind === 'offline') return 'o';
  if (s.kind === 'builtin') return `b:${s.name}`;
  return `j:${s.name.length}:${s.name}:${s.text.length}:${hashString(s.text)}`;
}

/** The choice (source and selection) as a cache key. */
export function choiceKey(c: TaskChoice): string {
  return `${sourceKey(c.source)}|${c.limit ?? 'all'}|${c.limit !== null && c.seed !== null ? `s${c.seed}` : 'first'}`;
}

/** A task result's key: choice and drop configuration. */
export function resultKey(c: TaskChoice, drop: DropConfig): string {
  return `${choiceKey(c)}|${dropKey(drop)}`;
}

export function sameChoice(a: TaskChoice | null, b: TaskChoice | null): boolean {
  return a === b || (!!a && !!b && choiceKey(a) === choiceKey(b));
}

/** The task's name as the panel says it. */
export function taskLabel(s: TaskSource): string {
  if (s.kind === 'offline') return OFFLINE_TASK.title;
  if (s.kind === 'builtin') return s.name;
  return s.name;
}

/** How the items were chosen, in words ("first 100 of 300 items", "50 of 300 items, seed 3"). */
export function selectionLabel(r: Pick<TaskResult, 'selection'>): string {
  const s = r.selection;
  if (s.mode === 'all') return `all ${s.total} items`;
  if (s.mode === 'first') return `first ${s.n} of ${s.total} items`;
  return `${s.n} of ${s.total} items, seeded subsample (seed ${s.seed})`;
}

export function isBuiltinTask(name: string): name is BuiltinTaskName {
  return (BUILTIN_TASKS as readonly string[]).includes(name);
}

/** Accuracy (acc or acc_norm) and its standard error; null where the task reports none (acc_norm of boolq). */
export function metricOf(r: TaskResult, norm: boolean): { value: number; stderr: number } | null {
  if (!norm) return { value: r.acc, stderr: r.accStderr };
  return r.accNorm === null || r.accNormStderr === null ? null : { value: r.accNorm, stderr: r.accNormStderr };
}

/** The change from the baseline, with a standard error of the difference of two independent means (sqrt(a² + b²)). */
export function accuracyChange(
  base: TaskResult,
  other: TaskResult,
  norm: boolean,
): { delta: number; stderr: number } | null {
  const a = metricOf(base, norm);
  const b = metricOf(other, norm);
  if (!a || !b) return null;
  return { delta: b.value - a.value, stderr: Math.hypot(a.stderr, b.stderr) };
}
