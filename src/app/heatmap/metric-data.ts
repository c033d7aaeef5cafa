/**
 * What the sublayer heatmap shows for each metric (pure): rows, values, drop marks and the colour
 * domain. Importance follows LLM-Drop (He et al., 2024): 1 − mean cosine similarity between a
 * sublayer's input and output; the block metric is ShortGPT's Block Influence; dNLL is the change in
 * mean NLL when that one sublayer is also dropped from the current configuration (SLEB, FinerCut).
 */
import type { AnalysisResult, DropConfig, DropOneResult } from '../../engine/api';
import type { MetricView } from '../../state/share-link';
import { type Domain, domainOf, withScale } from '../charts/color';

export interface HeatmapRow {
  kind: 'attn' | 'mlp' | 'block';
  label: string;
  values: (number | null)[];
  /** Dropped in the current configuration (for a block: both sublayers). */
  dropped: boolean[];
  /** Block rows only: exactly one of the two sublayers dropped. */
  partial: boolean[];
}

export interface SublayerHeatmapData {
  rows: HeatmapRow[];
  domain: Domain;
  /** Short name of the metric, for the legend. */
  label: string;
  /** One line saying what a value means. */
  description: string;
  /** The values are not there yet (drop-one still computing, no analysis yet). */
  pending: boolean;
}

export const METRIC_LABELS: Record<MetricView, string> = {
  cosine: 'LLM-Drop importance',
  nonorm: 'LLM-Drop importance, no norm',
  block: 'Block importance',
  dnll: 'Drop-one ΔNLL',
};

export const METRIC_DESCRIPTIONS: Record<MetricView, string> = {
  cosine:
    '1 − cos(input, output) of each sublayer on the residual stream (LLM-Drop, layer_drop_norm=True). Low = redundant.',
  nonorm: '1 − cos(N(x), F(N(x))): the sublayer compared with its normalized input (LLM-Drop, layer_drop_norm=False).',
  block: '1 − cos(x_l, x_l+1) over the whole block (ShortGPT Block Influence). Low = redundant block.',
  dnll: 'Change in mean NLL (nats/token) if that sublayer is also dropped, given the current drops (SLEB, FinerCut).',
};

function clean(xs: readonly (number | null | undefined)[] | undefined, L: number): (number | null)[] {
  return Array.from({ length: L }, (_, i) => {
    const v = xs?.[i];
    return v === null || v === undefined || !Number.isFinite(v) ? null : v;
  });
}

export function sublayerHeatmapData(
  metric: MetricView,
  L: number,
  drops: DropConfig,
  analysis: AnalysisResult | null,
  dropOne: DropOneResult | null,
  scale: 'linear' | 'log' = 'linear',
): SublayerHeatmapData {
  const attnDropped = Array.from({ length: L }, (_, l) => drops.attn.includes(l));
  const mlpDropped = Array.from({ length: L }, (_, l) => drops.mlp.includes(l));
  const none = Array.from({ length: L }, () => false);
  const row = (kind: 'attn' | 'mlp', values: (number | null)[]): HeatmapRow => ({
    kind,
    label: kind === 'attn' ? 'Attention' : 'MLP',
    values: values.map((v, l) => ((kind === 'attn' ? attnDropped : mlpDropped)[l] ? null : v)),
    dropped: kind === 'attn' ? attnDropped : mlpDropped,
    partial: none,
  });
  let rows: HeatmapRow[];
  let pending = false;
  const imp = analysis?.importance;
  if (metric === 'block') {
    rows = [
      {
        kind: 'block',
        label: 'Block',
        values: clean(imp?.block, L).map((v, l) => (attnDropped[l] && mlpDropped[l] ? null : v)),
        dropped: attnDropped.map((a, l) => a && mlpDropped[l]),
        partial: attnDropped.map((a, l) => a !== mlpDropped[l]),
      },
    ];
    pending = !imp;
  } else if (metric === 'dnll') {
    rows = [row('attn', clean(dropOne?.attn, L)), row('mlp', clean(dropOne?.mlp, L))];
    pending = !dropOne;
  } else {
    const nn = metric === 'nonorm';
    rows = [
      row('attn', clean(nn ? imp?.attnNoNorm : imp?.attn, L)),
      row('mlp', clean(nn ? imp?.mlpNoNorm : imp?.mlp, L)),
    ];
    pending = !imp;
  }
  return {
    rows,
    domain: withScale(domainOf(rows.flatMap((r) => r.values)), scale),
    label: METRIC_LABELS[metric],
    description: METRIC_DESCRIPTIONS[metric],
    pending,
  };
}
