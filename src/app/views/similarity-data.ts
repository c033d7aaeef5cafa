/** Data for the boundary-similarity and angular-distance views (pure). */
import type { AnalysisResult } from '../../engine/api';
import { type Domain, domainOf } from '../charts/color';

export interface MatrixData {
  values: (number | null)[][];
  rowLabels: string[];
  colLabels: string[];
  domain: Domain;
}

/** Boundary b_i: i even = x_{i/2} (block input), i odd = m_{(i-1)/2} (between attention and MLP). */
export function boundaryName(i: number): string {
  return i % 2 === 0 ? `x${i / 2}` : `m${(i - 1) / 2}`;
}

function finite(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/**
 * The similarity matrix over block boundaries x_0..x_L ('blocks') or every sublayer boundary
 * x_0, m_0, x_1, …, x_L ('sublayers').
 */
export function similarityData(a: AnalysisResult, scope: 'blocks' | 'sublayers'): MatrixData {
  const n = a.similarity.length;
  const idx = scope === 'blocks' ? Array.from({ length: Math.floor((n + 1) / 2) }, (_, i) => 2 * i) : Array.from({ length: n }, (_, i) => i);
  const values = idx.map((i) => idx.map((j) => finite(a.similarity[i]?.[j])));
  const labels = idx.map((i) => (scope === 'blocks' ? String(i / 2) : boundaryName(i)));
  const offDiag = values.flatMap((row, r) => row.filter((_, c) => c !== r));
  return { values, rowLabels: labels, colLabels: labels, domain: domainOf(offDiag, { max: 1 }) };
}

/** Angular distance, rows = start layer l, columns = width n (1..L); blank where l + n > L. */
export function angularData(a: AnalysisResult): MatrixData {
  const L = a.angular.length;
  const values = a.angular.map((row) => Array.from({ length: L }, (_, k) => finite(row[k])));
  return {
    values,
    rowLabels: Array.from({ length: L }, (_, l) => String(l)),
    colLabels: Array.from({ length: L }, (_, k) => String(k + 1)),
    domain: domainOf(values.flat(), { min: 0 }),
  };
}
