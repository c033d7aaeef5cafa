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

/** Block boundary index of x_l among the sublayer boundaries. */
export const blockBoundary = (l: number): number => 2 * l;

/** Every pair (i <= j) of the block boundaries x_0..x_L, as sublayer-boundary indices. */
export function blockPairs(numLayers: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i <= numLayers; i++) for (let j = i + 1; j <= numLayers; j++) pairs.push([blockBoundary(i), blockBoundary(j)]);
  return pairs;
}

/**
 * From the pair cosines of blockPairs(): the similarity matrix S[i][j] = mean_t cos(x_i, x_j)
 * ((L+1)x(L+1), symmetric, 1 on the diagonal), ShortGPT's Block Influence 1 - S[l][l+1], and
 * Gromov et al.'s angular distance angular[l][n-1] = mean_windows arccos(cos(x_l, x_{l+n}) on the last token)/pi.
 */
export function blockMetrics(
  numLayers: number,
  sums: Float64Array,
  last: Float64Array[],
  tokens: number,
  blockDropped: (l: number) => boolean,
): { similarity: number[][]; block: number[]; angular: number[][] } {
  const L = numLayers;
  const similarity = Array.from({ length: L + 1 }, (_, i) => Array.from({ length: L + 1 }, (_, j) => (i === j ? 1 : Number.NaN)));
  const angular = Array.from({ length: L }, () => new Array<number>(L).fill(Number.NaN));
  let p = 0;
  for (let i = 0; i <= L; i++) {
    for (let j = i + 1; j <= L; j++, p++) {
      similarity[i][j] = similarity[j][i] = sums[p] / tokens;
      const lastCos = last[p];
      let a = 0;
      for (let w = 0; w < lastCos.length; w++) a += Math.acos(Math.min(1, Math.max(-1, lastCos[w]))) / Math.PI;
      angular[i][j - i - 1] = a / lastCos.length;
    }
  }
  const block = Array.from({ length: L }, (_, l) => (blockDropped(l) ? Number.NaN : 1 - similarity[l][l + 1]));
  return { similarity, block, angular };
}
