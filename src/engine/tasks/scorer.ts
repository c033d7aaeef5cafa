/**
 * The engine's task scoring (EngineApi.scoreTask): items -> requests -> shared sequences -> padded
 * batches on the live pipeline, per drop configuration. The batches of the last task scored keep their
 * boundary states (score.ts), and every result is memoized by task, selection and drop configuration.
 */
import type { DropConfig, ProgressFn } from '../api';
import { dropFlags, normalizeDrop } from '../drops';
import type { Pipeline } from '../pipeline';
import { buildRequests, shareSequences, type TaskRequest, type TaskTokenizer } from './requests';
import { taskResult } from './results';
import { type BatchOptions, type RequestScores, scoreRequests, TaskBatches } from './score';
import { selectItems } from './select';
import { checkTaskItems } from './validate';
import type { TaskItems, TaskOptions, TaskResult, TaskSelection } from './types';

export interface ScorerModel {
  numLayers: number;
  hiddenSize: number;
  /** The window requests are truncated to. */
  window: number;
  tokenizer: TaskTokenizer;
  /** A fresh pipeline over the model's sessions. */
  pipeline: () => Pipeline;
  /** Token id used to pad batches (any valid id). */
  pad: number;
}

interface Prepared {
  key: string;
  task: TaskItems;
  indices: number[];
  selection: TaskSelection;
  reqs: TaskRequest[];
  host: number[];
  runs: number[][];
  batches: TaskBatches;
}

const MEMO_LIMIT = 64;

export class TaskScorer {
  private current: Prepared | null = null;
  private memo = new Map<string, RequestScores>();

  constructor(
    private readonly model: ScorerModel,
    private readonly opts: BatchOptions = {},
  ) {}

  async score(
    task: TaskItems,
    drop: DropConfig,
    opts: TaskOptions,
    hook: () => void,
    onProgress?: ProgressFn,
  ): Promise<TaskResult> {
    const t0 = performance.now();
    const L = this.model.numLayers;
    const d = normalizeDrop(drop, L);
    const flags = dropFlags(d, L);
    const p = this.prepare(task, opts);
    const mkey = `${p.key}#${d.attn.join(',')}|${d.mlp.join(',')}`;
    let scores = this.memo.get(mkey);
    if (!scores) {
      let done = 0;
      const total = p.batches.pendingRuns(flags);
      const h = () => {
        hook();
        onProgress?.({ stage: 'task', done: done++, total, unit: 'sublayers' });
      };
      scores = await scoreRequests(p.reqs, p.host, p.runs, p.batches, flags, d, h);
      if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value as string);
      this.memo.set(mkey, scores);
    }
    return taskResult({
      task: p.task,
      indices: p.indices,
      selection: p.selection,
      reqs: p.reqs,
      scores,
      drop: d,
      includeText: opts.includeText === true,
      sequences: p.runs.length,
      forwardTokens: p.batches.forwardTokens,
      window: this.model.window,
      ms: performance.now() - t0,
    });
  }

  clear(): void {
    this.current?.batches.clear();
    this.current = null;
    this.memo.clear();
  }

  private prepare(task: TaskItems, opts: TaskOptions): Prepared {
    checkTaskItems(task);
    const { indices, selection } = selectItems(task.items.length, opts);
    const key = `${fingerprint(task)}@${selection.mode}:${selection.n}:${selection.seed ?? ''}`;
    if (this.current?.key === key) return this.current;
    this.current?.batches.clear();
    this.current = null;
    const m = this.model;
    const reqs = buildRequests(task, indices, m.tokenizer, m.window);
    const { runs, host } = shareSequences(reqs);
    const bytesPerToken = (2 * m.numLayers + 1) * m.hiddenSize * 4;
    const batches = new TaskBatches(runs, m.pipeline, bytesPerToken, m.pad, this.opts);
    this.current = { key, task, indices, selection, reqs, host, runs, batches };
    return this.current;
  }
}

/** FNV-1a over the task's name, kind, delimiter and items: the memo's key for "the same task". */
export function fingerprint(task: TaskItems): string {
  let h = 0x811c9dc5;
  const add = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  add(task.name);
  add(task.kind);
  add(task.delimiter);
  add(String(task.accNorm ?? true));
  for (const it of task.items) {
    add(it.context);
    add(String(it.gold));
    add(it.target ?? '');
    for (const c of it.choices) add(c);
  }
  return `${task.items.length}:${h.toString(16)}`;
}
