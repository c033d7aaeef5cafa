/**
 * A task's items -> loglikelihood requests -> token sequences, as lm-evaluation-harness builds them
 * (lm_eval/api/task.py construct_requests, lm_eval/api/model.py _encode_pair and loglikelihood):
 *
 * - 'choice': one request per choice, (context, delimiter + choice). 'partial': one per context,
 *   (choice, delimiter + target). 'lambada': (context, choices[0]).
 * - Trailing whitespace of the context moves to the front of the continuation; the continuation's tokens
 *   are enc(context + continuation) minus the first len(enc(context)) tokens, and the sequence is
 *   enc(context) + those tokens. enc adds what the tokenizer's own config adds in front (a BOS), nothing
 *   otherwise. An empty context is the prefix token (BOS, else EOS).
 * - Left truncation to the model's window: lm-eval keeps the last window + 1 tokens and feeds all but the
 *   last (a target only); DropLab's head graph reads targets from its input, so it keeps the last `window`
 *   tokens: a truncated request has one context token fewer than lm-eval's. Counted in the results.
 */
import { TaskError } from '../errors';
import type { TaskItems } from './types';

/** What requests need of the model's tokenizer. */
export interface TaskTokenizer {
  /** Token ids of text, no special tokens. */
  encode(text: string): number[];
  /** What the tokenizer's config puts before every text (a BOS), usually []. */
  prefix: readonly number[];
  /** The conditioning token of an empty context: the BOS, else the EOS. */
  prefixToken: number;
}

export interface TaskRequest {
  /** Index into the selected items, and the choice. */
  item: number;
  choice: number;
  /** The token sequence fed to the model (context + continuation, truncated on the left): [T]. */
  ids: number[];
  /** Continuation tokens: the last `contLen` of `ids`. */
  contLen: number;
  truncated: boolean;
}

/** (context, continuation) pairs of one item. */
export function itemPairs(task: TaskItems, i: number): [string, string][] {
  const it = task.items[i];
  if (task.kind === 'partial') return it.choices.map((c) => [c, task.delimiter + (it.target ?? '')]);
  if (task.kind === 'lambada') return [[it.context, it.choices[0]]];
  return it.choices.map((c) => [it.context, task.delimiter + c]);
}

/** lm-eval's _encode_pair (causal), plus the empty-context rule of loglikelihood(). */
export function encodePair(
  tok: TaskTokenizer,
  context: string,
  continuation: string,
): { ctx: number[]; cont: number[] } {
  if (context === '') {
    const cont = tok.encode(continuation);
    return cont[0] === tok.prefixToken
      ? { ctx: cont.slice(0, 1), cont: cont.slice(1) }
      : { ctx: [tok.prefixToken], cont };
  }
  const stripped = context.replace(/\s+$/u, '');
  const moved = context.slice(stripped.length);
  const whole = [...tok.prefix, ...tok.encode(stripped + moved + continuation)];
  const ctx = [...tok.prefix, ...tok.encode(stripped)];
  return { ctx, cont: whole.slice(ctx.length) };
}

export function buildRequests(
  task: TaskItems,
  indices: readonly number[],
  tok: TaskTokenizer,
  window: number,
): TaskRequest[] {
  const out: TaskRequest[] = [];
  indices.forEach((idx, item) => {
    itemPairs(task, idx).forEach(([context, continuation], choice) => {
      const { ctx, cont } = encodePair(tok, context, continuation);
      if (cont.length >= window)
        throw new TaskError(
          `Item ${idx + 1} of ${task.name}: choice ${choice + 1} is ${cont.length} tokens long, more than this model's window of ${window} tokens leaves after one context token.`,
          { item: idx, choice, tokens: cont.length, window },
        );
      const all = [...ctx, ...cont];
      const truncated = all.length > window;
      out.push({
        item,
        choice,
        ids: truncated ? all.slice(all.length - window) : all,
        contLen: cont.length,
        truncated,
      });
    });
  });
  return out;
}

/**
 * Shared work: identical sequences run once, and a sequence that is a prefix of another is read from
 * the longer one's run (the model is causal: position t sees only tokens 0..t). Returns the sequences to
 * run and, per request, which of them holds its scores (at the same positions).
 */
export function shareSequences(reqs: readonly TaskRequest[]): { runs: number[][]; host: number[] } {
  const keyed = new Map<string, number>();
  const uniq: number[][] = [];
  const uniqOf = reqs.map((r) => {
    const k = r.ids.join(',');
    let u = keyed.get(k);
    if (u === undefined) {
      u = uniq.length;
      keyed.set(k, u);
      uniq.push(r.ids);
    }
    return u;
  });
  // Lexicographic order puts every sequence just before those it is a prefix of (any sequence between
  // them starts with it too), so the last in each chain of prefixes is the one to run.
  const order = uniq.map((_, i) => i).sort((a, b) => compareIds(uniq[a], uniq[b]));
  const root = new Array<number>(uniq.length);
  const runs: number[][] = [];
  const runOf = new Map<number, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const u = order[k];
    const next = k + 1 < order.length ? order[k + 1] : -1;
    if (next >= 0 && isPrefix(uniq[u], uniq[next])) root[u] = root[next];
    else root[u] = u;
  }
  for (let u = 0; u < uniq.length; u++) {
    if (!runOf.has(root[u])) {
      runOf.set(root[u], runs.length);
      runs.push(uniq[root[u]]);
    }
  }
  return { runs, host: uniqOf.map((u) => runOf.get(root[u]) as number) };
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
