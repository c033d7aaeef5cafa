/**
 * Float64 reference implementations of DESIGN.md section 3, over a list of windows run through
 * forward64 (or over hand-made states with the same shape). The engine's in-graph reductions are
 * tested against these.
 *
 * Sources of the definitions:
 * - LLM-Drop (He et al., "What Matters in Transformers? Not All Attention is Needed"): attention / MLP
 *   importance = 1 - cosine similarity of the residual stream before and after the sublayer
 *   (layer_drop_norm=True), or of the sublayer's normed input N(x) and its output F(N(x))
 *   (layer_drop_norm=False); drop the n sublayers with the highest similarity; joint = attention and
 *   MLP in one ranking; one-shot vs iterative dropping.
 * - ShortGPT (Men et al.): Block Influence BI(l) = 1 - mean_t cos(x_l[t], x_{l+1}[t]).
 * - Gromov et al. ("The Unreasonable Ineffectiveness of the Deeper Layers"): angular distance
 *   arccos(cos(x_l, x_{l+n})) / pi on the last token, averaged over windows.
 * - SLEB / FinerCut: drop-one sensitivity = change in mean NLL when one more sublayer is removed.
 */
import type {
  AnalysisResult,
  DropConfig,
  DropOneResult,
  EvalResult,
  Importance,
  PlanRequest,
  PlanResult,
  PlanTarget,
} from '../../src/engine/api';
import { DropConfigError } from '../../src/engine/errors';
import { dropSets, type Forward64Result, forward64, type RefModel } from './forward64';

/** What the metrics read from one window: a Forward64Result, or hand-made states of the same shape. */
export type WindowStates = Pick<Forward64Result, 'T' | 'd' | 'nll' | 'boundaries' | 'attn' | 'mlp'>;

/** Token windows, each [seqLen] ids at positions 0..seqLen-1. */
export type Windows64 = readonly ArrayLike<number>[];

/** Split buildWindows' flat ids [windows * seqLen] into windows. */
export function splitWindows(ids: Int32Array, seqLen: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let o = 0; o + seqLen <= ids.length; o += seqLen) out.push(ids.subarray(o, o + seqLen));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cosine

export const COS_EPS = 1e-12;

/** cos(a, b) = a.b / max(|a| |b|, 1e-12) over a[ao..ao+d), b[bo..bo+d). (Shared definition with the graphs.) */
export function cosine(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < d; i++) {
    const x = a[ao + i];
    const y = b[bo + i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.max(Math.sqrt(aa) * Math.sqrt(bb), COS_EPS);
}

/** Mean over every token t of every window w of cos(a[t], b[t]), where [a, b] = pick(w), each [T, d]. */
function meanCos(
  states: readonly WindowStates[],
  pick: (s: WindowStates) => [Float64Array | undefined, Float64Array | undefined],
): number {
  let sum = 0;
  let n = 0;
  for (const s of states) {
    const [a, b] = pick(s);
    if (!a || !b) throw new Error('metrics: a kept sublayer has no recorded states');
    for (let t = 0; t < s.T; t++) sum += cosine(a, t * s.d, b, t * s.d, s.d);
    n += s.T;
  }
  return sum / n;
}

function layersOf(states: readonly WindowStates[]): number {
  if (states.length === 0) throw new Error('metrics need at least one window');
  return (states[0].boundaries.length - 1) / 2;
}

// ---------------------------------------------------------------------------------------------
// Importance, similarity, angular distance

/**
 * Importance = 1 - mean cosine, means over every token of every window (DESIGN.md 3):
 *   attn[l]  = 1 - cos(x_l, m_l)            attnNoNorm[l] = 1 - cos(N1(x_l), Attn(N1(x_l)))
 *   mlp[l]   = 1 - cos(m_l, x_{l+1})        mlpNoNorm[l]  = 1 - cos(N2(m_l), MLP(N2(m_l)))
 *   block[l] = 1 - cos(x_l, x_{l+1})   (ShortGPT Block Influence)
 * NaN for a dropped sublayer. block[l] is NaN only when the whole block is dropped (attention and
 * MLP); with one of them dropped it still measures what the block changes.
 */
export function importance64(states: readonly WindowStates[], drop: DropConfig): Importance {
  const L = layersOf(states);
  const dropped = dropSets(drop, L);
  const imp: Importance = { attn: [], mlp: [], block: [], attnNoNorm: [], mlpNoNorm: [] };
  for (let l = 0; l < L; l++) {
    const aDrop = dropped.attn.has(l);
    const mDrop = dropped.mlp.has(l);
    imp.attn.push(aDrop ? Number.NaN : 1 - meanCos(states, (s) => [s.boundaries[2 * l], s.boundaries[2 * l + 1]]));
    imp.mlp.push(mDrop ? Number.NaN : 1 - meanCos(states, (s) => [s.boundaries[2 * l + 1], s.boundaries[2 * l + 2]]));
    imp.block.push(
      aDrop && mDrop ? Number.NaN : 1 - meanCos(states, (s) => [s.boundaries[2 * l], s.boundaries[2 * l + 2]]),
    );
    imp.attnNoNorm.push(aDrop ? Number.NaN : 1 - meanCos(states, (s) => [s.attn[l]?.input, s.attn[l]?.output]));
    imp.mlpNoNorm.push(mDrop ? Number.NaN : 1 - meanCos(states, (s) => [s.mlp[l]?.input, s.mlp[l]?.output]));
  }
  return imp;
}

/** S[i][j] = mean over every token of every window of cos(b_i, b_j), i, j = 0..2L. [2L+1][2L+1]. */
export function similarity64(states: readonly WindowStates[]): number[][] {
  const B = states[0].boundaries.length;
  const S: number[][] = Array.from({ length: B }, () => new Array<number>(B).fill(0));
  for (let i = 0; i < B; i++) {
    for (let j = i; j < B; j++) {
      S[i][j] = S[j][i] = meanCos(states, (s) => [s.boundaries[i], s.boundaries[j]]);
    }
  }
  return S;
}

/**
 * Gromov et al.: angular[l][n-1] = mean over windows of arccos(cos(x_l[T-1], x_{l+n}[T-1])) / pi,
 * l = 0..L-1, n = 1..L-l; NaN where l + n > L. [L][L]. cos is clamped to [-1, 1] before arccos.
 */
export function angular64(states: readonly WindowStates[]): number[][] {
  const L = layersOf(states);
  const A: number[][] = Array.from({ length: L }, () => new Array<number>(L).fill(Number.NaN));
  for (let l = 0; l < L; l++) {
    for (let n = 1; l + n <= L; n++) {
      let sum = 0;
      for (const s of states) {
        const last = (s.T - 1) * s.d;
        const c = cosine(s.boundaries[2 * l], last, s.boundaries[2 * (l + n)], last, s.d);
        sum += Math.acos(Math.min(1, Math.max(-1, c))) / Math.PI;
      }
      A[l][n - 1] = sum / states.length;
    }
  }
  return A;
}

// ---------------------------------------------------------------------------------------------
// NLL, perplexity, evaluation

/** Mean NLL over every predicted token of all windows (position 0 of each window is context only). */
export function meanNll64(states: readonly Pick<WindowStates, 'nll'>[]): number {
  let sum = 0;
  let n = 0;
  for (const s of states) {
    for (let t = 0; t < s.nll.length; t++) sum += s.nll[t];
    n += s.nll.length;
  }
  return sum / n;
}

/** exp(mean NLL) over every predicted token of all windows. */
export function perplexity64(states: readonly Pick<WindowStates, 'nll'>[]): number {
  return Math.exp(meanNll64(states));
}

export function runWindows(model: RefModel, windows: Windows64, drop: DropConfig): Forward64Result[] {
  if (windows.length === 0) throw new Error('no windows');
  return windows.map((ids) => forward64(model, ids, drop));
}

function evalOf(states: readonly WindowStates[], drop: DropConfig, windows: Windows64): EvalResult {
  const meanNll = meanNll64(states);
  const seqLen = windows[0].length;
  return {
    drop: normalizeDrop(drop),
    meanNll,
    perplexity: Math.exp(meanNll),
    tokens: windows.length * (seqLen - 1),
    seqLen,
    windows: windows.length,
  };
}

export function evaluate64(model: RefModel, windows: Windows64, drop: DropConfig): EvalResult {
  return evalOf(runWindows(model, windows, drop), drop, windows);
}

/** Everything analyze() reports, on the model with `drop` applied. */
export function analyze64(model: RefModel, windows: Windows64, drop: DropConfig): AnalysisResult {
  const states = runWindows(model, windows, drop);
  return {
    drop: normalizeDrop(drop),
    importance: importance64(states, drop),
    similarity: similarity64(states),
    angular: angular64(states),
    eval: evalOf(states, drop, windows),
  };
}

/** Drop-one sensitivity (SLEB, FinerCut): meanNLL(base + s) - meanNLL(base) per kept sublayer s; null if in base. */
export function dropOne64(model: RefModel, windows: Windows64, base: DropConfig): DropOneResult {
  const L = model.spec.numLayers;
  const dropped = dropSets(base, L);
  const baseNll = meanNll64(runWindows(model, windows, base));
  const res: DropOneResult = { base: normalizeDrop(base), baseNll, attn: [], mlp: [] };
  for (let l = 0; l < L; l++) {
    res.attn.push(
      dropped.attn.has(l)
        ? null
        : meanNll64(runWindows(model, windows, { attn: [...base.attn, l], mlp: base.mlp })) - baseNll,
    );
    res.mlp.push(
      dropped.mlp.has(l)
        ? null
        : meanNll64(runWindows(model, windows, { attn: base.attn, mlp: [...base.mlp, l] })) - baseNll,
    );
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Brute-force planner (LLM-Drop: sort by similarity, drop the top n)

export type Chosen = PlanResult['steps'][number]['chosen'][number];
export interface RankedCandidate extends Chosen {
  score: number; // importance = 1 - similarity
}

export function normalizeDrop(d: DropConfig): DropConfig {
  const u = (a: number[]) => [...new Set(a)].sort((x, y) => x - y);
  return { attn: u(d.attn), mlp: u(d.mlp) };
}

const KIND_ORDER = { attn: 0, mlp: 1, block: 2 } as const;

/**
 * Kept sublayers (or blocks) eligible for `target`, least important first.
 * LLM-Drop sorts by similarity, descending, and drops the top n; lowest importance = highest
 * similarity, so we sort by importance ascending. 'joint' ranks attention and MLP scores together.
 * Tie rule (LLM-Drop leaves it to torch.sort): lower layer index first, then attention before MLP.
 * NaN scores (dropped sublayers) are never candidates. `norm` picks LLM-Drop's layer_drop_norm:
 * true -> attn/mlp, false -> attnNoNorm/mlpNoNorm; 'block' always uses block (Block Influence).
 * A block is a candidate unless both its sublayers are already dropped.
 */
export function rankCandidates(
  scores: Importance,
  target: PlanTarget,
  drop: DropConfig,
  norm = true,
): RankedCandidate[] {
  const L = scores.attn.length;
  const dropped = dropSets(drop, L);
  const out: RankedCandidate[] = [];
  const attnScores = norm ? scores.attn : scores.attnNoNorm;
  const mlpScores = norm ? scores.mlp : scores.mlpNoNorm;
  for (let l = 0; l < L; l++) {
    if (target === 'block') {
      if (!(dropped.attn.has(l) && dropped.mlp.has(l)) && !Number.isNaN(scores.block[l])) {
        out.push({ kind: 'block', layer: l, score: scores.block[l] });
      }
      continue;
    }
    if ((target === 'attn' || target === 'joint') && !dropped.attn.has(l) && !Number.isNaN(attnScores[l])) {
      out.push({ kind: 'attn', layer: l, score: attnScores[l] });
    }
    if ((target === 'mlp' || target === 'joint') && !dropped.mlp.has(l) && !Number.isNaN(mlpScores[l])) {
      out.push({ kind: 'mlp', layer: l, score: mlpScores[l] });
    }
  }
  out.sort((a, b) => a.score - b.score || a.layer - b.layer || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return out;
}

/** The drop configuration with `chosen` added (a block adds the layer to both lists). */
export function applyChosen(drop: DropConfig, chosen: readonly Chosen[]): DropConfig {
  const next = { attn: [...drop.attn], mlp: [...drop.mlp] };
  for (const c of chosen) {
    if (c.kind !== 'mlp') next.attn.push(c.layer);
    if (c.kind !== 'attn') next.mlp.push(c.layer);
  }
  return normalizeDrop(next);
}

/**
 * Plan with any scorer (importance of the model with a given drop applied).
 * One-shot: score once on `base`, drop the n least important (one step).
 * Iterative: n times: score with the drops so far, drop the least important one (n steps).
 * Throws DropConfigError when fewer than n candidates remain.
 */
export function planWith(score: (drop: DropConfig) => Importance, req: PlanRequest): PlanResult {
  const { target, n, iterative } = req;
  const norm = req.norm ?? true;
  if (!Number.isInteger(n) || n < 0) throw new DropConfigError(`n must be a whole number >= 0, got ${n}`);
  let drop = normalizeDrop(req.base ?? { attn: [], mlp: [] });
  const steps: PlanResult['steps'] = [];
  const pick = (scores: Importance, k: number): Chosen[] => {
    const ranked = rankCandidates(scores, target, drop, norm);
    if (ranked.length < k) {
      throw new DropConfigError(`cannot drop ${k} more (${target}): only ${ranked.length} candidates remain`);
    }
    return ranked.slice(0, k).map(({ kind, layer }) => ({ kind, layer }));
  };
  if (!iterative) {
    const scores = score(drop);
    const chosen = pick(scores, n);
    steps.push({ chosen, scores });
    drop = applyChosen(drop, chosen);
  } else {
    for (let i = 0; i < n; i++) {
      const scores = score(drop);
      const chosen = pick(scores, 1);
      steps.push({ chosen, scores });
      drop = applyChosen(drop, chosen);
    }
  }
  return { drop, steps };
}

/** The brute-force planner on a real model: scores are importance64 over all windows. */
export function plan64(model: RefModel, windows: Windows64, req: PlanRequest): PlanResult {
  return planWith((drop) => importance64(runWindows(model, windows, drop), drop), req);
}
