/**
 * From the pipeline's in-graph reductions to the numbers DESIGN.md §3 defines (LLM-Drop, ShortGPT,
 * Gromov et al.). Pure functions: no runtime, no I/O.
 */
import type { Importance } from './api';
import type { AnalysisSums } from './pipeline';

/** Attention and MLP importance (both layer_drop_norm variants) from one analysis pass; NaN where dropped. */
export function sublayerImportance(sums: AnalysisSums, numLayers: number): Omit<Importance, 'block'> {
  const out = { attn: [] as number[], mlp: [] as number[], attnNoNorm: [] as number[], mlpNoNorm: [] as number[] };
  for (let l = 0; l < numLayers; l++) {
    out.attn.push(1 - sums.cos[2 * l] / sums.tokens);
    out.mlp.push(1 - sums.cos[2 * l + 1] / sums.tokens);
    out.attnNoNorm.push(1 - sums.cosNoNorm[2 * l] / sums.tokens);
    out.mlpNoNorm.push(1 - sums.cosNoNorm[2 * l + 1] / sums.tokens);
  }
  return out;
}

/** Sublayer-boundary indices of the block boundaries x_0..x_L (b_{2l} = x_l). */
export function blockBoundaries(numLayers: number): number[] {
  return Array.from({ length: numLayers + 1 }, (_, l) => 2 * l);
}

/**
 * From the gram pass over x_0..x_L: the similarity matrix S[i][j] = mean_t cos(x_i, x_j) ((L+1)x(L+1),
 * symmetric), ShortGPT's Block Influence 1 - S[l][l+1] (NaN when attention and MLP l are both dropped),
 * and Gromov et al.'s angular distance angular[l][n-1] = mean over windows of
 * arccos(cos(x_l, x_{l+n}) at the last token) / pi (NaN where l+n > L).
 */
export function blockMetrics(
  numLayers: number,
  gram: { sum: Float64Array; last: Float32Array[] },
  tokens: number,
  blockDropped: (l: number) => boolean,
): { similarity: number[][]; block: number[]; angular: number[][] } {
  const K = numLayers + 1;
  const similarity = Array.from({ length: K }, (_, i) =>
    Array.from({ length: K }, (_, j) => (i === j ? 1 : (gram.sum[i * K + j] + gram.sum[j * K + i]) / 2 / tokens)),
  );
  const angular = Array.from({ length: numLayers }, (_, l) =>
    Array.from({ length: numLayers }, (_, n) => {
      const j = l + n + 1;
      if (j > numLayers) return Number.NaN;
      let a = 0;
      for (const w of gram.last) a += Math.acos(Math.min(1, Math.max(-1, w[l * K + j]))) / Math.PI;
      return a / gram.last.length;
    }),
  );
  const block = Array.from({ length: numLayers }, (_, l) => (blockDropped(l) ? Number.NaN : 1 - similarity[l][l + 1]));
  return { similarity, block, angular };
}
