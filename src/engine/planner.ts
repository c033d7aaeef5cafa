/**
 * Layer-drop planning, LLM-Drop's rule: score, sort by similarity (descending) = importance
 * (ascending), drop the top n. 'joint' ranks attention and MLP scores in one list (LLM-Drop's
 * target_layer 'all'); 'block' uses ShortGPT's Block Influence and drops attention and MLP together.
 * One-shot scores once; iterative drops one, re-scores with it applied, and repeats.
 * Ties: lower layer first, then attention before MLP (a stable sort over LLM-Drop's concatenation order).
 */
import type { DropConfig, Importance, PlanRequest, PlanResult } from './api';
import { DropConfigError } from './errors';

export interface Candidate {
  kind: 'attn' | 'mlp' | 'block';
  layer: number;
  score: number; // importance: lower = dropped first
}

const KIND_ORDER = { attn: 0, mlp: 1, block: 2 } as const;

export function rankCandidates(
  scores: Importance,
  target: PlanRequest['target'],
  drop: DropConfig,
  norm = true,
): Candidate[] {
  const da = new Set(drop.attn);
  const dm = new Set(drop.mlp);
  const attn = norm ? scores.attn : scores.attnNoNorm;
  const mlp = norm ? scores.mlp : scores.mlpNoNorm;
  const out: Candidate[] = [];
  for (let l = 0; l < scores.attn.length; l++) {
    if (target === 'block') {
      if (!(da.has(l) && dm.has(l)) && !Number.isNaN(scores.block[l]))
        out.push({ kind: 'block', layer: l, score: scores.block[l] });
      continue;
    }
    if ((target === 'attn' || target === 'joint') && !da.has(l) && !Number.isNaN(attn[l]))
      out.push({ kind: 'attn', layer: l, score: attn[l] });
    if ((target === 'mlp' || target === 'joint') && !dm.has(l) && !Number.isNaN(mlp[l]))
      out.push({ kind: 'mlp', layer: l, score: mlp[l] });
  }
  return out.sort((a, b) => a.score - b.score || a.layer - b.layer || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}

export function applyCandidates(drop: DropConfig, chosen: readonly Candidate[]): DropConfig {
  const attn = new Set(drop.attn);
  const mlp = new Set(drop.mlp);
  for (const c of chosen) {
    if (c.kind !== 'mlp') attn.add(c.layer);
    if (c.kind !== 'attn') mlp.add(c.layer);
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { attn: sorted(attn), mlp: sorted(mlp) };
}

/** Plan with any scorer (importance of the model with a drop configuration applied). */
export async function plan(req: PlanRequest, score: (drop: DropConfig) => Promise<Importance>): Promise<PlanResult> {
  if (!Number.isInteger(req.n) || req.n < 1)
    throw new DropConfigError(`The number of layers to drop must be a whole number of at least 1; got ${req.n}.`, {
      n: req.n,
    });
  let drop: DropConfig = req.base ?? { attn: [], mlp: [] };
  const steps: PlanResult['steps'] = [];
  const rounds = req.iterative ? req.n : 1;
  const perRound = req.iterative ? 1 : req.n;
  for (let r = 0; r < rounds; r++) {
    const scores = await score(drop);
    const ranked = rankCandidates(scores, req.target, drop, req.norm ?? true);
    if (ranked.length < perRound)
      throw new DropConfigError(
        `Cannot drop ${req.n} ${req.target === 'joint' ? 'sublayers' : `${req.target} layers`}: only ${ranked.length + r} can still be dropped.`,
        { n: req.n },
      );
    const chosen = ranked.slice(0, perRound);
    steps.push({ chosen: chosen.map(({ kind, layer }) => ({ kind, layer })), scores });
    drop = applyCandidates(drop, chosen);
  }
  return { drop, steps };
}
