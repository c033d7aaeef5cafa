/**
 * Task accuracy beside perplexity (issue 14): the types of EngineApi.scoreTask, shared across the worker
 * boundary (src/engine/api.ts re-exports them). Scoring follows lm-evaluation-harness (docs/TASKS.md):
 * one request per choice, the log-likelihood of the continuation given the context summed over its tokens.
 */
import type { DropConfig } from '../api';

/** The built-in lm-eval tasks, read from the Hub's parquet files (src/engine/tasks/builtin.ts). */
export const BUILTIN_TASKS = [
  'arc_easy',
  'arc_challenge',
  'piqa',
  'hellaswag',
  'winogrande',
  'boolq',
  'openbookqa',
  'lambada_openai',
] as const;
export type BuiltinTaskName = (typeof BUILTIN_TASKS)[number];

/** The offline task shipped with DropLab (public/tasks/, built by scripts/tasks/build-offline-task.mjs): a JSONL file. */
export const OFFLINE_TASK = {
  name: 'word-completion',
  /** Relative to the app's base URL (public/ is served at the root). */
  file: 'tasks/word-completion.jsonl',
  title: 'Word completion in context (300 items, 4 choices)',
} as const;

/**
 * How a task is scored.
 * - 'choice': one context, each choice appended to it (after `delimiter`); acc and acc_norm.
 * - 'partial': WinoGrande-style partial scoring: the choices are the contexts, `target` the continuation
 *   they share (after `delimiter`); acc only.
 * - 'lambada': one continuation (`choices[0]`, its leading space included), gold 0; acc = greedy (every
 *   continuation token is the model's argmax) and perplexity = exp(-mean loglik).
 */
export type TaskKind = 'choice' | 'partial' | 'lambada';

/** One item as scored. */
export interface TaskItem {
  /** 'choice', 'lambada': the context. 'partial': '' (the contexts are the choices). */
  context: string;
  /** 'choice': the continuations (acc_norm divides by their length in characters); 'partial': the contexts; 'lambada': [target]. */
  choices: string[];
  /** Index of the right choice. */
  gold: number;
  /** 'partial' only: the continuation every context shares. */
  target?: string;
}

/** A task's items, ready to score (a JSONL file parsed, a built-in task read, the offline task). */
export interface TaskItems {
  /** e.g. 'arc_easy', 'moby-next-sentence', or the file's name. */
  name: string;
  kind: TaskKind;
  /** Put between the context and each continuation (lm-eval's target_delimiter: ' ' for built-in tasks, '' for JSONL). */
  delimiter: string;
  items: TaskItem[];
  /** Where the items came from, for the results (e.g. 'allenai/ai2_arc ARC-Easy test, 2376 rows'). */
  source: string;
  /** false: a 'choice' task that reports acc only (lm-eval's boolq); default true. */
  accNorm?: boolean;
}

/** A built-in task (read from the Hub) or a JSONL task at a URL, resolved by the engine. */
export type TaskSpec = { kind: 'builtin'; name: BuiltinTaskName } | { kind: 'url'; url: string; name?: string };

/** Which items to score: the first `limit`, or (with `seed`) a seeded subsample of `limit` items. */
export interface TaskOptions {
  /** Items to score (default all). */
  limit?: number;
  /** With a seed, `limit` items are drawn at random (seeded, without replacement, kept in dataset order). */
  seed?: number;
  /** Copy each item's context and choices into its result (the item view); default false. */
  includeText?: boolean;
}

/** How the items were chosen, stated in every result. */
export interface TaskSelection {
  mode: 'all' | 'first' | 'sample';
  /** Items in the task. */
  total: number;
  /** Items scored. */
  n: number;
  seed?: number;
}

export interface TaskItemResult {
  /** Index of the item in the task (dataset order). */
  index: number;
  /** Log-likelihood of each choice's continuation (nats), one per choice. */
  loglik: number[];
  /** Continuation tokens per choice. */
  tokens: number[];
  gold: number;
  /** argmax of loglik. */
  pred: number;
  correct: boolean;
  /** argmax of loglik / choice length in characters ('choice' tasks only). */
  predNorm?: number;
  correctNorm?: boolean;
  /** 'lambada': whether every continuation token was the model's greedy choice. */
  greedy?: boolean;
  /** Whether a request of this item was left-truncated to the model's window. */
  truncated: boolean;
  /** With includeText: the item as scored. */
  item?: TaskItem;
}

export interface TaskResult {
  task: string;
  kind: TaskKind;
  source: string;
  drop: DropConfig;
  selection: TaskSelection;
  n: number;
  acc: number;
  /** lm-eval's mean_stderr: sample standard deviation (n-1) / sqrt(n) = sqrt(acc(1-acc)/(n-1)). */
  accStderr: number;
  /** 'choice' tasks; null otherwise. */
  accNorm: number | null;
  accNormStderr: number | null;
  /** 'lambada': exp(-mean loglik) over items; null otherwise. */
  perplexity: number | null;
  /** 'lambada': bootstrap standard error of the perplexity (seeded, `bootstrapIters` resamples); null otherwise. */
  perplexityStderr: number | null;
  bootstrapIters?: number;
  /** Requests (item x choice) whose context was left-truncated to the window. */
  truncated: number;
  /** Requests scored, and the distinct token sequences run after sharing (identical or prefix sequences run once). */
  requests: number;
  sequences: number;
  /** Tokens through the model (sum of the distinct sequences' lengths). */
  forwardTokens: number;
  /** The window requests were truncated to (the model's positions). */
  window: number;
  items: TaskItemResult[];
  ms: number;
}
