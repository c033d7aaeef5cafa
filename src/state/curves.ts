/**
 * Perplexity against the number of dropped sublayers for LLM-Drop's four one-shot strategies (attention,
 * MLP, block, joint): the store slice and the pure assembly of the curves.
 *
 * One-shot means: score the full model once and drop the n least important. The first n choices of a
 * one-shot ranking therefore ARE the n-drop plan, so a curve costs one plan call with the largest n (its
 * `steps[0].chosen` is the ranking) plus one evaluation per point. The evaluations live with every other
 * perplexity in `results.evals` (keyed by drop configuration), so a point already measured, a toggle back
 * or a preset costs nothing, and applying a curve point shows its perplexity at once.
 *
 * The x axis counts sublayers (a block is two: its attention and its MLP), or the share of the model's
 * parameters removed (src/state/cost.ts), so that the four strategies and the current configuration sit
 * on one axis.
 */
import type { DropConfig, EvalResult, ModelSpec, PlanTarget } from '../engine/api';
import { costSummary } from './cost';
import { dropKey, sortedDrops } from './drops';

export type Strategy = PlanTarget;
export const STRATEGIES: readonly Strategy[] = ['attn', 'mlp', 'block', 'joint'];

export const STRATEGY_LABELS: Record<Strategy, string> = {
  attn: 'Attention drop',
  mlp: 'MLP drop',
  block: 'Block drop',
  joint: 'Joint drop',
};

/** One choice of a ranking (PlanResult.steps[0].chosen). */
export interface RankedChoice {
  kind: 'attn' | 'mlp' | 'block';
  layer: number;
}

export type CurveAxis = 'sublayers' | 'params';

export interface CurvesJob {
  state: 'idle' | 'running' | 'done' | 'cancelled' | 'error';
  /**
   * Engine calls finished and known to run in this run: the plans still missing, then the evaluations of
   * the ranked strategies (a strategy's points are counted once its ranking is known: see `unranked`).
   */
  done: number;
  total: number;
  /** Strategies still to be ranked (their evaluations are not in `total` yet). */
  unranked: number;
  /** The next call waits for the workbench's own refresh (perplexity, heatmaps) to finish. */
  waiting: boolean;
  /** Fraction of the engine call in flight (its own progress), 0..1. */
  partial: number;
  /** What is being computed now (`accuracy`: the chosen task's accuracy of that point, after its perplexity). */
  current: { strategy: Strategy; n: number; accuracy?: true } | null;
  error: string | null;
}

export interface CurvesSlice {
  curves: {
    /** The results context (model load, text, windows) the rankings belong to. */
    context: string;
    /** One-shot rankings by strategy, as long as the largest n asked for so far. */
    rankings: Partial<Record<Strategy, RankedChoice[]>>;
    /** Largest number of dropped sublayers the curves go to. */
    maxSublayers: number;
    axis: CurveAxis;
    job: CurvesJob;
  };
  setCurveRanking(context: string, strategy: Strategy, ranking: RankedChoice[]): void;
  /** The curves now belong to another results context: its rankings start empty. */
  setCurvesContext(context: string): void;
  setCurvesMax(maxSublayers: number): void;
  setCurveAxis(axis: CurveAxis): void;
  setCurvesJob(job: Partial<CurvesJob>): void;
}

export const IDLE_JOB: CurvesJob = {
  state: 'idle',
  done: 0,
  total: 0,
  partial: 0,
  current: null,
  error: null,
  unranked: 0,
  waiting: false,
};

type SetState<S> = (partial: Partial<S> | ((s: S) => Partial<S>)) => void;

export function createCurvesSlice<S extends CurvesSlice>(set: SetState<S>): CurvesSlice {
  const patch = (f: (c: CurvesSlice['curves']) => Partial<CurvesSlice['curves']>) =>
    set((s) => ({ curves: { ...s.curves, ...f(s.curves) } }) as Partial<S>);
  return {
    curves: { context: '', rankings: {}, maxSublayers: 0, axis: 'sublayers', job: IDLE_JOB },
    setCurveRanking: (context, strategy, ranking) =>
      patch((c) => ({ context, rankings: { ...(c.context === context ? c.rankings : {}), [strategy]: ranking } })),
    setCurvesContext: (context) => patch(() => ({ context, rankings: {} })),
    setCurvesMax: (maxSublayers) => patch(() => ({ maxSublayers })),
    setCurveAxis: (axis) => patch(() => ({ axis })),
    setCurvesJob: (job) => patch((c) => ({ job: { ...c.job, ...job } })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Pure helpers.

/** The largest n of each strategy for curves going up to `maxSublayers` dropped sublayers. */
export function maxSteps(strategy: Strategy, numLayers: number, maxSublayers: number): number {
  const m = Math.max(0, Math.floor(maxSublayers));
  if (strategy === 'joint') return Math.min(m, 2 * numLayers);
  if (strategy === 'block') return Math.min(Math.floor(m / 2), numLayers);
  return Math.min(m, numLayers);
}

/** The default reach of the curves: as many sublayers as the model has layers (half of all sublayers). */
export function defaultMaxSublayers(numLayers: number): number {
  return numLayers;
}

/** The drop configuration of the first n choices of a one-shot ranking (= LLM-Drop's n-drop plan). */
export function prefixDrop(ranking: readonly RankedChoice[], n: number): DropConfig {
  const attn: number[] = [];
  const mlp: number[] = [];
  for (const c of ranking.slice(0, n)) {
    if (c.kind !== 'mlp') attn.push(c.layer);
    if (c.kind !== 'attn') mlp.push(c.layer);
  }
  return sortedDrops({ attn, mlp });
}

export interface CurveTask {
  strategy: Strategy;
  n: number;
  drop: DropConfig;
}

/**
 * What is still missing for the curves: the plans (a strategy without a ranking, or one shorter than
 * needed) and the evaluations, in computing order (strategy by strategy, n ascending: each configuration
 * adds one drop to the previous one, so the engine's boundary cache recomputes least). A configuration
 * two strategies share (attention n=1 is often joint n=1) is evaluated once.
 */
export function missingWork(
  rankings: Partial<Record<Strategy, readonly RankedChoice[]>>,
  evals: Record<string, EvalResult>,
  numLayers: number,
  maxSublayers: number,
): { plans: { strategy: Strategy; n: number }[]; evals: CurveTask[] } {
  const plans: { strategy: Strategy; n: number }[] = [];
  const tasks: CurveTask[] = [];
  const seen = new Set<string>(Object.keys(evals));
  for (const strategy of STRATEGIES) {
    const N = maxSteps(strategy, numLayers, maxSublayers);
    if (N < 1) continue;
    const ranking = rankings[strategy];
    if (!ranking || ranking.length < N) {
      plans.push({ strategy, n: N });
      continue;
    }
    for (let n = 1; n <= N; n++) {
      const drop = prefixDrop(ranking, n);
      const key = dropKey(drop);
      if (seen.has(key)) continue;
      seen.add(key);
      tasks.push({ strategy, n, drop });
    }
  }
  return { plans, evals: tasks };
}

/** How many evaluations a strategy needs once its ranking is known (for progress before the plans). */
export function evalCount(numLayers: number, maxSublayers: number): number {
  return STRATEGIES.reduce((n, s) => n + maxSteps(s, numLayers, maxSublayers), 0);
}

export interface CurvePoint {
  strategy: Strategy;
  n: number;
  /** Sublayers dropped (x on the sublayer axis). */
  sublayers: number;
  /** Share of all parameters removed, in percent (x on the parameter axis). */
  paramsPct: number;
  drop: DropConfig;
  perplexity: number;
  meanNll: number;
  tokens: number;
}

export interface CurveSeries {
  strategy: Strategy;
  label: string;
  /** n = 0 (the baseline) first, then every n measured so far, in order; a gap stops the series. */
  points: CurvePoint[];
  /** The largest n this strategy goes to. */
  steps: number;
  complete: boolean;
}

function paramsPct(spec: ModelSpec | null, drop: DropConfig, seqLen: number): number {
  return spec ? 100 * costSummary(spec, drop, seqLen).removedFraction : 0;
}

/** The four series from the rankings and the evaluations known so far. */
export function assembleCurves(
  rankings: Partial<Record<Strategy, readonly RankedChoice[]>>,
  evals: Record<string, EvalResult>,
  numLayers: number,
  maxSublayers: number,
  spec: ModelSpec | null = null,
): CurveSeries[] {
  const base = evals[dropKey({ attn: [], mlp: [] })];
  return STRATEGIES.map((strategy) => {
    const steps = maxSteps(strategy, numLayers, maxSublayers);
    const points: CurvePoint[] = [];
    const ranking = rankings[strategy];
    for (let n = 0; n <= steps; n++) {
      if (n > 0 && (!ranking || ranking.length < n)) break;
      const drop = n === 0 ? { attn: [], mlp: [] } : prefixDrop(ranking ?? [], n);
      const r = n === 0 ? base : evals[dropKey(drop)];
      if (!r) break;
      points.push({
        strategy,
        n,
        sublayers: drop.attn.length + drop.mlp.length,
        paramsPct: paramsPct(spec, drop, r.seqLen),
        drop,
        perplexity: r.perplexity,
        meanNll: r.meanNll,
        tokens: r.tokens,
      });
    }
    return { strategy, label: STRATEGY_LABELS[strategy], points, steps, complete: points.length === steps + 1 };
  });
}

export interface CurrentMark {
  sublayers: number;
  paramsPct: number;
  perplexity: number | null;
  /** The curve points equal to the current configuration. */
  on: { strategy: Strategy; n: number }[];
}

/** Where the current drop configuration sits on the curves' axes. */
export function currentMark(
  series: readonly CurveSeries[],
  drop: DropConfig,
  current: EvalResult | null,
  spec: ModelSpec | null,
  seqLen: number,
): CurrentMark {
  const key = dropKey(drop);
  const on: { strategy: Strategy; n: number }[] = [];
  for (const s of series)
    for (const p of s.points) if (dropKey(p.drop) === key) on.push({ strategy: s.strategy, n: p.n });
  return {
    sublayers: drop.attn.length + drop.mlp.length,
    paramsPct: paramsPct(spec, drop, seqLen),
    perplexity: current ? current.perplexity : null,
    on,
  };
}

const round12 = (x: number) => Number(x.toPrecision(12));

/** A "nice" step (1, 2, 2.5 or 5 x 10^k) of about `raw`. */
function niceStep(raw: number): number {
  const e = 10 ** Math.floor(Math.log10(raw));
  const m = raw / e;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * e;
}

/**
 * Bounds and ticks for a logarithmic perplexity axis. Over a decade or more: 1, 2, 5 x 10^k (only the
 * powers of ten past 9 ticks); over less, 1..9 x 10^k; over a narrow range (under a factor of about 2,
 * where a log axis looks linear), evenly spaced nice values. The bounds are ticks just outside the values.
 */
export function logTicks(values: readonly number[]): { domain: [number, number]; ticks: number[] } {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return { domain: [1, 10], ticks: [1, 2, 5, 10] };
  let lo = Math.min(...pos);
  let hi = Math.max(...pos);
  if (hi / lo < 1.02) {
    const mid = Math.sqrt(lo * hi);
    lo = mid / 1.02;
    hi = mid * 1.02;
  }
  const grid = (mantissas: number[]) => {
    const all: number[] = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of mantissas) all.push(round12(m * 10 ** e));
    const below = all.filter((t) => t <= lo);
    const above = all.filter((t) => t >= hi);
    const d0 = below[below.length - 1];
    const d1 = above[0];
    return { domain: [d0, d1] as [number, number], ticks: all.filter((t) => t >= d0 && t <= d1) };
  };
  if (hi / lo >= 10) {
    const g = grid([1, 2, 5]);
    if (g.ticks.length > 9) g.ticks = g.ticks.filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9);
    return g;
  }
  if (hi / lo >= 2.5) return grid([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const step = niceStep((hi - lo) / 4);
  const d0 = round12(Math.floor(lo / step) * step);
  const d1 = round12(Math.ceil(hi / step) * step);
  const ticks: number[] = [];
  for (let t = d0; t <= d1 + step / 2; t += step) ticks.push(round12(t));
  return { domain: [ticks[0] > 0 ? ticks[0] : lo, d1], ticks: ticks.filter((t) => t > 0) };
}
