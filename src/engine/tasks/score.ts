/**
 * Scoring a task's requests on the live pipeline (DESIGN.md §2): the distinct token sequences
 * (requests.ts) are right-padded into batches of equal length (causal attention: padding after a
 * sequence changes nothing before it) and each batch is a Pipeline of its own, so its boundary states
 * are cached like the evaluation windows': after a toggle at sublayer s only s and what follows run
 * again. Batches keep their states while the total stays within `cacheBytes`; the rest run and are
 * released (for them a drop configuration recomputes from the embedding). Per drop configuration, the
 * per-request scores are memoized either way.
 */
import type { DropConfig } from '../api';
import { CancelledError, NonFiniteError } from '../errors';
import type { Pipeline } from '../pipeline';
import type { TaskRequest } from './requests';

/** Per request: summed log-likelihood of its continuation, and whether every continuation token is the argmax. */
export interface RequestScores {
  loglik: Float64Array;
  greedy: Uint8Array;
}

interface Batch {
  runs: number[]; // indices into the sequences
  T: number;
  pipeline: Pipeline | null;
  /** Whether this batch keeps its boundary states between calls (within the cache budget). */
  keep: boolean;
}

export interface BatchOptions {
  /** Tokens per batch (B * T), default 4096. */
  batchTokens?: number;
  /** Most bytes of cached boundary states kept for a task (default 256 MiB). */
  cacheBytes?: number;
}

/** The sequences of one task (one selection of items, one tokenizer), in padded batches. */
export class TaskBatches {
  private readonly batches: Batch[] = [];
  readonly forwardTokens: number;
  /** Batches that keep their states, of all. */
  readonly kept: number;

  constructor(
    private readonly runs: number[][],
    private readonly makePipeline: () => Pipeline,
    readonly stateBytesPerToken: number,
    private readonly pad: number,
    opts: BatchOptions = {},
  ) {
    const perBatch = opts.batchTokens ?? 4096;
    const order = runs.map((_, i) => i).sort((a, b) => runs[b].length - runs[a].length);
    let cur: Batch | null = null;
    let padded = 0;
    for (const r of order) {
      const T = runs[r].length;
      if (!cur || (cur.runs.length + 1) * cur.T > perBatch) {
        cur = { runs: [], T: Math.max(T, 2), pipeline: null, keep: false };
        this.batches.push(cur);
      }
      cur.runs.push(r);
    }
    const budget = opts.cacheBytes ?? 256 * 2 ** 20;
    let kept = 0;
    for (const b of this.batches) {
      padded += b.runs.length * b.T;
      b.keep = padded * stateBytesPerToken <= budget;
      if (b.keep) kept++;
    }
    this.kept = kept;
    this.forwardTokens = runs.reduce((n, r) => n + r.length, 0);
  }

  /** Session runs a score() for `flags` would make (progress totals). */
  pendingRuns(flags: readonly boolean[]): number {
    const kept = flags.filter((f) => !f).length;
    return this.batches.reduce((n, b) => n + (b.pipeline ? b.pipeline.pendingRuns(flags) : kept + 1) + 1, 0);
  }

  /** Per-token NLL and argmax of every sequence under `flags`: nll[r][t] = -log p(ids[t+1] | ids[..t]). */
  async score(
    flags: readonly boolean[],
    hook: () => void,
    into: (run: number, nll: Float32Array, argmax: Int32Array) => void,
  ): Promise<void> {
    for (const b of this.batches) {
      const p = b.pipeline ?? this.open(b);
      try {
        const { nll, argmax } = await p.tokenScores(flags, hook);
        b.runs.forEach((r, w) => {
          into(r, nll.subarray(w * (b.T - 1), (w + 1) * (b.T - 1)), argmax.subarray(w * b.T, (w + 1) * b.T));
        });
      } finally {
        if (!b.keep) {
          p.clear();
          b.pipeline = null;
        }
      }
    }
  }

  clear(): void {
    for (const b of this.batches) {
      b.pipeline?.clear();
      b.pipeline = null;
    }
  }

  private open(b: Batch): Pipeline {
    const ids = new Int32Array(b.runs.length * b.T).fill(this.pad);
    b.runs.forEach((r, w) => {
      ids.set(this.runs[r], w * b.T);
    });
    const p = this.makePipeline();
    p.setWindows(ids, b.runs.length, b.T, [b.runs.length]); // one batch
    if (b.keep) b.pipeline = p;
    return p;
  }
}

/** The scores of every request under `flags`, read from their sequences' runs. */
export async function scoreRequests(
  reqs: readonly TaskRequest[],
  host: readonly number[],
  runs: readonly number[][],
  batches: TaskBatches,
  flags: readonly boolean[],
  drop: DropConfig,
  hook: () => void,
): Promise<RequestScores> {
  const byRun: { nll: Float32Array; argmax: Int32Array }[] = new Array(runs.length);
  await batches.score(flags, hook, (r, nll, argmax) => {
    byRun[r] = { nll: nll.slice(0, runs[r].length - 1), argmax: argmax.slice(0, runs[r].length) };
  });
  const loglik = new Float64Array(reqs.length);
  const greedy = new Uint8Array(reqs.length);
  reqs.forEach((q, i) => {
    const s = byRun[host[i]];
    if (!s) throw new CancelledError('Cancelled.');
    const T = q.ids.length;
    let ll = 0;
    let g = 1;
    for (let t = T - q.contLen - 1; t < T - 1; t++) {
      ll -= s.nll[t];
      if (s.argmax[t] !== q.ids[t + 1]) g = 0;
    }
    if (!Number.isFinite(ll))
      throw new NonFiniteError(
        `The log-likelihood of a task item is ${Number.isNaN(ll) ? 'NaN' : 'infinite'}${drop.attn.length + drop.mlp.length ? ` with attention [${drop.attn.join(', ')}] and MLP [${drop.mlp.join(', ')}] dropped` : ''}: the activations overflow float32 on this item.`,
        { drop, item: q.item, choice: q.choice },
      );
    loglik[i] = ll;
    greedy[i] = g;
  });
  return { loglik, greedy };
}
