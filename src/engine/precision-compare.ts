/**
 * How far a weight precision's analysis is from fp32's on the same text (issue 13 item 2): relative
 * perplexity change, the largest absolute change of any importance score, and whether the bottom
 * quarter of sublayers (the ones a drop plan removes first) is the same set. Pure: used by the tests
 * (tests/engine/precision.test.ts), by scripts/measure-precision.ts, which writes the measured table
 * (precision-deviation.json) that the page shows beside the precision.
 */
import type { AnalysisResult, WeightPrecision } from './api';
import deviationTable from './precision-deviation.json';

export interface PrecisionDeviation {
  /** |ppl - ppl_fp32| / ppl_fp32 */
  perplexityRel: number;
  /** max over layers of |I - I_fp32| for attention, MLP and block importance */
  importanceMaxAbs: number;
  /** The bottom quarter (joint ranking of attention and MLP scores) is the same set as fp32's. */
  sameBottomQuarter: boolean;
}

/** Sublayer ids ('attn3', 'mlp0') of the lowest quarter of the joint ranking of attention and MLP importance. */
export function bottomQuarter(r: AnalysisResult): string[] {
  const all = [
    ...r.importance.attn.map((v, l) => ({ id: `attn${l}`, v })),
    ...r.importance.mlp.map((v, l) => ({ id: `mlp${l}`, v })),
  ].filter((x) => Number.isFinite(x.v));
  all.sort((a, b) => a.v - b.v);
  return all
    .slice(0, Math.floor(all.length / 4))
    .map((x) => x.id)
    .sort();
}

export function comparePrecision(fp32: AnalysisResult, other: AnalysisResult): PrecisionDeviation {
  let m = 0;
  for (const k of ['attn', 'mlp', 'block'] as const) {
    fp32.importance[k].forEach((v, l) => {
      const w = other.importance[k][l];
      if (Number.isFinite(v) || Number.isFinite(w)) m = Math.max(m, Math.abs(v - w));
    });
  }
  const a = bottomQuarter(fp32);
  const b = bottomQuarter(other);
  return {
    perplexityRel: Math.abs(other.eval.perplexity - fp32.eval.perplexity) / fp32.eval.perplexity,
    importanceMaxAbs: m,
    sameBottomQuarter: a.length === b.length && a.every((x, i) => x === b[i]),
  };
}

/** The targets of issue 13: perplexity within 0.1% / 0.5% / 3%, importance within 2e-3 at fp16 and q8. */
export const PRECISION_TARGETS: Readonly<
  Record<
    Exclude<WeightPrecision, 'fp32'>,
    { perplexityRel: number; importanceMaxAbs: number | null; sameBottomQuarter: boolean }
  >
> = {
  fp16: { perplexityRel: 1e-3, importanceMaxAbs: 2e-3, sameBottomQuarter: true },
  q8: { perplexityRel: 5e-3, importanceMaxAbs: 2e-3, sameBottomQuarter: true },
  q4: { perplexityRel: 3e-2, importanceMaxAbs: null, sameBottomQuarter: false },
};

export interface MeasuredDeviation extends PrecisionDeviation {
  precision: Exclude<WeightPrecision, 'fp32'>;
}

/** What scripts/measure-precision.ts measured on the bundled model (the badge beside the precision). */
export const MEASURED_DEVIATION: {
  model: string;
  text: string;
  seqLen: number;
  windows: number;
  measured: MeasuredDeviation[];
} = deviationTable as never;
