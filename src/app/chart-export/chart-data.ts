/**
 * The numbers behind each chart, as a CSV table and a JSON object (pure). Every export carries what
 * the numbers were measured on (model, text, windows, drops), as DESIGN.md asks of every perplexity.
 */
import type { DropConfig, TokenDelta } from '../../engine/api';
import type { CurrentMark, CurveSeries } from '../../state/curves';
import type { MatrixData } from '../views/similarity-data';
import type { SublayerHeatmapData } from '../heatmap/metric-data';
import type { CsvCell } from './csv';
import { toCsv } from './csv';

export interface ChartMeta {
  model: string | null;
  text: string | null;
  seqLen: number | null;
  windows: number | null;
  /** Predicted tokens every perplexity is averaged over. */
  predictedTokens: number | null;
  drops: DropConfig;
}

export interface ChartTable {
  /** Chart id (data-chart). */
  chart: string;
  title: string;
  header: string[];
  rows: CsvCell[][];
  /** The chart's own numbers (merged with the meta in the JSON file). */
  json: Record<string, unknown>;
}

export function tableCsv(t: ChartTable): string {
  return toCsv(t.header, t.rows);
}

export function tableJson(t: ChartTable, meta: ChartMeta, generated = new Date().toISOString()): string {
  // The chart's own fields first, then the meta: what the numbers were measured on is never overwritten.
  return `${JSON.stringify({ droplab: 1, chart: t.chart, title: t.title, generated, ...t.json, ...meta }, finiteReplacer, 2)}\n`;
}

/** JSON has no NaN or Infinity: they become null. */
function finiteReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

const layers = (d: DropConfig, kind: 'attn' | 'mlp') => d[kind].join(' ');

export function sublayerTable(d: SublayerHeatmapData, metric: string): ChartTable {
  const L = d.rows[0]?.values.length ?? 0;
  const header = ['layer'];
  for (const r of d.rows)
    header.push(r.kind === 'attn' ? 'attention' : r.kind, `${r.kind === 'attn' ? 'attention' : r.kind}_dropped`);
  const rows: CsvCell[][] = Array.from({ length: L }, (_, l) => {
    const row: CsvCell[] = [l];
    for (const r of d.rows) row.push(r.values[l], r.dropped[l]);
    return row;
  });
  const json: Record<string, unknown> = {
    metric,
    label: d.label,
    description: d.description,
    colorScale: d.domain.log ? 'log' : 'linear',
    layers: L,
    values: Object.fromEntries(d.rows.map((r) => [r.kind, r.values])),
    dropped: Object.fromEntries(d.rows.map((r) => [r.kind, r.dropped])),
  };
  return { chart: 'sublayers', title: `Sublayer importance (${d.label})`, header, rows, json };
}

export function matrixTable(
  chart: string,
  title: string,
  m: MatrixData,
  rowName: string,
  colName: string,
  valueName: string,
): ChartTable {
  const header = [`${rowName} \\ ${colName}`, ...m.colLabels];
  const rows: CsvCell[][] = m.values.map((row, r) => [m.rowLabels[r], ...row]);
  return {
    chart,
    title,
    header,
    rows,
    json: {
      value: valueName,
      rows: rowName,
      columns: colName,
      rowLabels: m.rowLabels,
      colLabels: m.colLabels,
      values: m.values,
    },
  };
}

export function curvesTable(
  series: readonly CurveSeries[],
  current: CurrentMark | null,
  baselinePerplexity: number | null,
): ChartTable {
  const header = [
    'strategy',
    'n',
    'sublayers_dropped',
    'params_removed_pct',
    'perplexity',
    'mean_nll',
    'change_pct',
    'tokens',
    'drop_attn',
    'drop_mlp',
  ];
  const rows: CsvCell[][] = [];
  for (const s of series) {
    for (const p of s.points) {
      const change = baselinePerplexity ? 100 * (p.perplexity / baselinePerplexity - 1) : null;
      rows.push([
        s.strategy,
        p.n,
        p.sublayers,
        p.paramsPct,
        p.perplexity,
        p.meanNll,
        change,
        p.tokens,
        layers(p.drop, 'attn'),
        layers(p.drop, 'mlp'),
      ]);
    }
  }
  return {
    chart: 'curves',
    title: 'Perplexity vs. sublayers dropped (one-shot)',
    header,
    rows,
    json: {
      oneShot: true,
      baselinePerplexity,
      series: series.map((s) => ({
        strategy: s.strategy,
        label: s.label,
        steps: s.steps,
        complete: s.complete,
        points: s.points,
      })),
      current,
    },
  };
}

export function tokensTable(r: TokenDelta): ChartTable {
  const name = `${r.kind === 'attn' ? 'Attention' : 'MLP'} ${r.layer}`;
  return {
    chart: 'tokens',
    title: `Per-token change, ${name}`,
    header: ['position', 'token', 'delta'],
    rows: r.tokens.map((t, i) => [i, t, r.delta[i]]),
    json: {
      sublayer: { kind: r.kind, layer: r.layer },
      window: 0,
      measure: '1 - cos(input, output) per token',
      tokens: r.tokens,
      delta: r.delta,
    },
  };
}
