/**
 * Task accuracy against the number of dropped sublayers, beside the perplexity curves (issue 14): the
 * same one-shot configurations (src/state/curves.ts), each scored on the chosen task. Pure: what is
 * missing, and the series from the results known so far.
 */
import type { DropConfig, TaskResult } from '../engine/api';
import { type CurveSeries, prefixDrop, type RankedChoice, STRATEGIES, maxSteps, type Strategy } from './curves';
import { dropKey, NO_DROPS } from './drops';
import { resultKey, type TaskChoice } from './tasks';

/**
 * The configurations of the curves whose task result is missing, in computing order (the baseline, then
 * strategy by strategy, n ascending), each once. Only ranked strategies count (their points are known).
 */
export function missingAccuracy(
  rankings: Partial<Record<Strategy, readonly RankedChoice[]>>,
  results: Record<string, TaskResult>,
  choice: TaskChoice,
  numLayers: number,
  maxSublayers: number,
): { strategy: Strategy | null; n: number; drop: DropConfig }[] {
  const out: { strategy: Strategy | null; n: number; drop: DropConfig }[] = [];
  const seen = new Set<string>();
  const add = (strategy: Strategy | null, n: number, drop: DropConfig) => {
    const key = dropKey(drop);
    if (seen.has(key)) return;
    seen.add(key);
    if (!results[resultKey(choice, drop)]) out.push({ strategy, n, drop });
  };
  add(null, 0, NO_DROPS);
  for (const strategy of STRATEGIES) {
    const ranking = rankings[strategy];
    const N = maxSteps(strategy, numLayers, maxSublayers);
    if (!ranking || ranking.length < N) continue;
    for (let n = 1; n <= N; n++) add(strategy, n, prefixDrop(ranking, n));
  }
  return out;
}

export interface AccuracyPoint {
  strategy: Strategy;
  n: number;
  sublayers: number;
  paramsPct: number;
  drop: DropConfig;
  acc: number;
  accStderr: number;
  accNorm: number | null;
  accNormStderr: number | null;
  /** The perplexity of the same configuration (the perplexity curve's point). */
  perplexity: number;
}

export interface AccuracySeries {
  strategy: Strategy;
  label: string;
  /** n = 0 first, then each point of the perplexity series whose task result is known; a gap stops it. */
  points: AccuracyPoint[];
}

/** The accuracy series along the perplexity series' points. */
export function accuracySeries(
  series: readonly CurveSeries[],
  results: Record<string, TaskResult>,
  choice: TaskChoice,
): AccuracySeries[] {
  return series.map((s) => {
    const points: AccuracyPoint[] = [];
    for (const p of s.points) {
      const r = results[resultKey(choice, p.drop)];
      if (!r) break;
      points.push({
        strategy: s.strategy,
        n: p.n,
        sublayers: p.sublayers,
        paramsPct: p.paramsPct,
        drop: p.drop,
        acc: r.acc,
        accStderr: r.accStderr,
        accNorm: r.accNorm,
        accNormStderr: r.accNormStderr,
        perplexity: p.perplexity,
      });
    }
    return { strategy: s.strategy, label: s.label, points };
  });
}
