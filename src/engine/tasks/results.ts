/**
 * Per-request scores -> per-item results and the task's metrics, as lm-evaluation-harness reports them
 * (lm_eval/api/task.py process_results): acc = argmax loglik is gold; acc_norm = argmax loglik / len(choice)
 * (characters, the choice without the delimiter) is gold, for 'choice' tasks; 'partial' tasks report acc
 * only; 'lambada' reports acc = greedy and perplexity = exp(-mean loglik).
 */
import type { DropConfig } from '../api';
import type { RequestScores } from './score';
import type { TaskRequest } from './requests';
import { bootstrapStderr, mean, meanStderr, perplexity } from './stats';
import type { TaskItemResult, TaskItems, TaskResult, TaskSelection } from './types';

/** Characters as Python's len() counts them (code points). */
const chars = (s: string): number => [...s].length;

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

export const BOOTSTRAP_ITERS = 1000;

export function taskResult(args: {
  task: TaskItems;
  indices: readonly number[];
  selection: TaskSelection;
  reqs: readonly TaskRequest[];
  scores: RequestScores;
  drop: DropConfig;
  includeText: boolean;
  sequences: number;
  forwardTokens: number;
  window: number;
  ms: number;
}): TaskResult {
  const { task, indices, reqs, scores } = args;
  const items: TaskItemResult[] = indices.map((index) => ({
    index,
    loglik: [],
    tokens: [],
    gold: task.items[index].gold,
    pred: 0,
    correct: false,
    truncated: false,
  }));
  reqs.forEach((q, i) => {
    const r = items[q.item];
    r.loglik[q.choice] = scores.loglik[i];
    r.tokens[q.choice] = q.contLen;
    if (q.truncated) r.truncated = true;
    if (task.kind === 'lambada') r.greedy = scores.greedy[i] === 1;
  });
  const withNorm = task.kind === 'choice' && task.accNorm !== false;
  for (const r of items) {
    const it = task.items[r.index];
    if (task.kind === 'lambada') {
      r.pred = 0;
      r.correct = r.greedy === true;
    } else {
      r.pred = argmax(r.loglik);
      r.correct = r.pred === r.gold;
    }
    if (withNorm) {
      r.predNorm = argmax(r.loglik.map((ll, c) => ll / chars(it.choices[c])));
      r.correctNorm = r.predNorm === r.gold;
    }
    if (args.includeText) r.item = it;
  }
  const acc = items.map((r) => (r.correct ? 1 : 0));
  const accNorm = withNorm ? items.map((r) => (r.correctNorm ? 1 : 0)) : null;
  const ll = task.kind === 'lambada' ? items.map((r) => r.loglik[0]) : null;
  return {
    task: task.name,
    kind: task.kind,
    source: task.source,
    drop: args.drop,
    selection: args.selection,
    n: items.length,
    acc: mean(acc),
    accStderr: meanStderr(acc),
    accNorm: accNorm ? mean(accNorm) : null,
    accNormStderr: accNorm ? meanStderr(accNorm) : null,
    perplexity: ll ? perplexity(ll) : null,
    perplexityStderr: ll ? bootstrapStderr(perplexity, ll, BOOTSTRAP_ITERS) : null,
    ...(ll ? { bootstrapIters: BOOTSTRAP_ITERS } : {}),
    truncated: reqs.filter((q) => q.truncated).length,
    requests: reqs.length,
    sequences: args.sequences,
    forwardTokens: args.forwardTokens,
    window: args.window,
    items,
    ms: args.ms,
  };
}
