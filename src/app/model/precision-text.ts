/** What a weight precision costs in accuracy, in words, from the measured table (docs/PRECISION.md). Pure. */
import { MEASURED_DEVIATION, type WeightPrecision } from '../../engine/api';

const pct = (x: number) => `${(x * 100).toPrecision(2)}%`;

/** "exact" for fp32; else the measured perplexity and importance deviation on the bundled model. */
export function deviationText(p: WeightPrecision): string {
  if (p === 'fp32') return 'exact';
  const m = MEASURED_DEVIATION.measured.find((x) => x.precision === p);
  if (!m) return 'not measured';
  return `perplexity within ${pct(m.perplexityRel)}, importance within ${m.importanceMaxAbs.toExponential(1)}${m.sameBottomQuarter ? ', same least-important quarter' : ''} (measured on ${MEASURED_DEVIATION.model})`;
}

export const PRECISION_LABELS: Record<WeightPrecision, string> = {
  fp32: 'fp32 (exact)',
  fp16: 'fp16 (half the memory)',
  q8: 'q8 (8-bit blocks)',
  q4: 'q4 (4-bit blocks)',
};
