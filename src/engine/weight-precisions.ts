/**
 * The weight precisions of the live engine as data (no graph code: the page imports this through
 * api.ts). Their graph formats are in graphs/precision.ts; docs/PRECISION.md explains them.
 */
import type { WeightPrecision } from './api';

export const WEIGHT_PRECISIONS: readonly WeightPrecision[] = ['fp32', 'fp16', 'q8', 'q4'];

export function isWeightPrecision(p: unknown): p is WeightPrecision {
  return typeof p === 'string' && (WEIGHT_PRECISIONS as readonly string[]).includes(p);
}

/** MatMulNBits block (the export's QUANT_BLOCK, DESIGN.md §4). */
const BLOCK = 32;

/** Bytes per parameter of a matrix at each precision (q8, q4: one float32 scale per 32 weights). */
export const MATRIX_BYTES_PER_PARAM: Readonly<Record<WeightPrecision, number>> = {
  fp32: 4,
  fp16: 2,
  q8: 1 + 4 / BLOCK,
  q4: 0.5 + 4 / BLOCK,
};
