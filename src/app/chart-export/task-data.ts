/** The numbers behind the task charts (issue 14): accuracy vs baseline, and accuracy along the curves. */
import type { TaskResult } from '../../engine/api';
import { taskFlips } from '../../engine/api';
import type { AccuracySeries } from '../../state/curves-accuracy';
import type { CsvCell } from './csv';
import type { ChartTable } from './chart-data';

const layers = (l: number[]) => l.join(' ');

function summary(r: TaskResult) {
  return {
    drop: r.drop,
    n: r.n,
    acc: r.acc,
    accStderr: r.accStderr,
    accNorm: r.accNorm,
    accNormStderr: r.accNormStderr,
    perplexity: r.perplexity,
    truncated: r.truncated,
  };
}

export function taskTable(base: TaskResult | null, current: TaskResult | null): ChartTable | null {
  const any = base ?? current;
  if (!any) return null;
  const rows: CsvCell[][] = [];
  for (const [who, r] of [
    ['baseline', base],
    ['current', current],
  ] as const) {
    if (!r) continue;
    rows.push([who, 'acc', r.acc, r.accStderr, r.n, layers(r.drop.attn), layers(r.drop.mlp)]);
    if (r.accNorm !== null)
      rows.push([who, 'acc_norm', r.accNorm, r.accNormStderr, r.n, layers(r.drop.attn), layers(r.drop.mlp)]);
  }
  return {
    chart: 'tasks',
    title: `Task accuracy: ${any.task}`,
    header: ['configuration', 'metric', 'value', 'stderr', 'items', 'drop_attn', 'drop_mlp'],
    rows,
    json: {
      task: any.task,
      source: any.source,
      selection: any.selection,
      stderr: 'lm-eval mean_stderr (sample standard deviation / sqrt(n))',
      baseline: base ? summary(base) : null,
      current: current ? summary(current) : null,
      flips: base && current ? taskFlips(base, current) : null,
      items: (current ?? base)!.items.map((x) => ({
        index: x.index,
        gold: x.gold,
        loglikBaseline: base?.items.find((b) => b.index === x.index)?.loglik ?? null,
        loglik: x.loglik,
      })),
    },
  };
}

export function accuracyCurvesTable(series: readonly AccuracySeries[], task: string): ChartTable {
  const header = [
    'strategy',
    'n',
    'sublayers_dropped',
    'params_removed_pct',
    'acc',
    'acc_stderr',
    'acc_norm',
    'acc_norm_stderr',
    'perplexity',
    'drop_attn',
    'drop_mlp',
  ];
  const rows: CsvCell[][] = series.flatMap((s) =>
    s.points.map((p) => [
      s.strategy,
      p.n,
      p.sublayers,
      p.paramsPct,
      p.acc,
      p.accStderr,
      p.accNorm,
      p.accNormStderr,
      p.perplexity,
      layers(p.drop.attn),
      layers(p.drop.mlp),
    ]),
  );
  return {
    chart: 'accuracy-curves',
    title: `Task accuracy vs. sublayers dropped (one-shot): ${task}`,
    header,
    rows,
    json: {
      oneShot: true,
      task,
      series: series.map((s) => ({ strategy: s.strategy, label: s.label, points: s.points })),
    },
  };
}
