/** Data for the boundary-similarity and angular-distance views (pure). */
import type { AnalysisResult } from '../../engine/api';
import { type Domain, domainOf } from '../charts/color';

export interface MatrixData {
  values: (number | null)[][];
  rowLabels: string[];
  colLabels: string[];
  domain: Domain;
}

function finite(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** S[i][j] = mean cos(x_i, x_j) over the block boundaries x_0 (embedding) .. x_L. */
export function similarityData(a: AnalysisResult): MatrixData {
  const n = a.similarity.length;
  const values = a.similarity.map((row) => Array.from({ length: n }, (_, j) => finite(row[j])));
  const labels = Array.from({ length: n }, (_, i) => String(i));
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
