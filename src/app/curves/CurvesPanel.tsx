/**
 * Perplexity against the number of dropped sublayers for LLM-Drop's four one-shot strategies, computed
 * on demand (one plan call per strategy, then one evaluation per point; progress and cancel), on a
 * logarithmic perplexity axis, with the current configuration marked. Click a point (or a value in the
 * table under the chart) to apply that configuration.
 */
import { lazy, Suspense, useMemo } from 'react';
import type { DropConfig } from '../../engine/api';
import {
  assembleCurves,
  type CurveSeries,
  currentMark,
  defaultMaxSublayers,
  logTicks,
  STRATEGIES,
  STRATEGY_LABELS,
  type Strategy,
} from '../../state/curves';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import { curvesTable } from '../chart-export/chart-data';
import { ChartExport } from '../chart-export/ChartExport';
import type { LegendItem } from '../chart-export/svg-compose';
import { ChartFrame } from '../charts/ChartFrame';
import { useController, useWorkbench } from '../context';
import { formatPpl } from '../format';
import { useLab } from '../lab/use-lab';
import '../lab/lab.css';
import { CURRENT_COLOR, STRATEGY_STYLE } from './style';

/** The chart itself (recharts, a third of the page's script) loads when there is a curve to draw. */
let chartModule: Promise<typeof import('./CurvesChart')> | null = null;
const loadChart = () => {
  chartModule ??= import('./CurvesChart');
  return chartModule;
};
const CurvesChart = lazy(() => loadChart().then((m) => ({ default: m.CurvesChart })));

function curveName(s: Strategy): string {
  return s === 'mlp' ? 'MLP drop' : STRATEGY_LABELS[s].toLowerCase();
}

/** One empty object, so the memos below keep their value while no curves belong to this context. */
const NO_RANKINGS = {};

export function CurvesPanel() {
  const controller = useController();
  const lab = useLab();
  const info = useWorkbench((s) => s.model.info);
  const ctx = useWorkbench((s) => s.results.context);
  const evals = useWorkbench((s) => s.results.evals);
  const drops = useWorkbench((s) => s.drops.current);
  const curves = useWorkbench((s) => s.curves);
  const setAxis = useWorkbench((s) => s.setCurveAxis);
  const setMax = useWorkbench((s) => s.setCurvesMax);
  const seqLen = useWorkbench((s) => s.data.info?.seqLen ?? 0);
  const L = info?.spec.numLayers ?? 0;
  const max = curves.maxSublayers || defaultMaxSublayers(L);
  const rankings = curves.context === ctx ? curves.rankings : NO_RANKINGS;
  const spec = info?.spec ?? null;
  const series = useMemo(() => assembleCurves(rankings, evals, L, max, spec), [rankings, evals, L, max, spec]);
  const current = evals[dropKey(drops)] ?? null;
  const baseline = evals[dropKey(NO_DROPS)]?.perplexity ?? null;
  const mark = useMemo(() => currentMark(series, drops, current, spec, seqLen), [series, drops, current, spec, seqLen]);
  const axis = curves.axis;
  const xOf = (p: { sublayers: number; paramsPct: number }) => (axis === 'sublayers' ? p.sublayers : p.paramsPct);
  const job = curves.job;
  const running = job.state === 'running';
  const any = series.some((s) => s.points.length > 1);
  const complete = series.every((s) => s.complete);
  const currentKey = dropKey(drops);

  const ys = series.flatMap((s) => s.points.map((p) => p.perplexity));
  if (mark.perplexity) ys.push(mark.perplexity);
  const y = logTicks(ys);
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map(xOf)), xOf(mark));
  const xTicks =
    axis === 'sublayers'
      ? Array.from({ length: Math.floor(xMax) + 1 }, (_, i) => i).filter((i) => xMax <= 16 || i % 2 === 0)
      : undefined;

  const apply = (d: DropConfig) => controller.setDrops(d);
  const legend: LegendItem[] = [
    ...STRATEGIES.map((s) => ({
      label: STRATEGY_LABELS[s],
      color: STRATEGY_STYLE[s].color,
      dash: STRATEGY_STYLE[s].dash,
    })),
    { label: 'current configuration', color: CURRENT_COLOR, shape: 'ring' as const },
  ];
  const frac = job.total > 0 ? Math.min(1, (job.done + (job.waiting ? 0 : job.partial)) / job.total) : 0;
  const currentLabel = job.waiting
    ? 'waiting for the perplexity and heatmaps to update'
    : job.current
      ? job.current.n === 0
        ? `ranking the sublayers for ${STRATEGY_LABELS[job.current.strategy].toLowerCase()}`
        : `${STRATEGY_LABELS[job.current.strategy]}, n = ${job.current.n}`
      : 'measuring the full model';
  const cost = running ? null : lab.curvesCost(max);

  return (
    <ChartFrame
      id="curves"
      title="Perplexity vs. sublayers dropped"
      subtitle={`LLM-Drop one-shot: score the full model once, drop the n least important (attention, MLP, blocks, or attention and MLP in one ranking). A block is two sublayers. Logarithmic perplexity axis.`}
      actions={
        <ChartExport
          chartId="curves"
          name={`perplexity-curves-${axis}`}
          title="Perplexity vs. sublayers dropped (LLM-Drop one-shot)"
          subtitle={`Perplexity (log scale) against ${axis === 'sublayers' ? 'the number of dropped sublayers (a block is two)' : 'the share of parameters removed'}; the ring marks the current configuration.`}
          legend={legend}
          table={() => (any ? curvesTable(series, mark, baseline) : null)}
          disabled={!any}
        />
      }
    >
      <div className="curve-controls">
        <label className="inline-select">
          up to
          <select
            value={max}
            onChange={(e) => setMax(Number(e.target.value))}
            disabled={!L || running}
            aria-label="Largest number of dropped sublayers"
            data-testid="curves-max"
          >
            {Array.from({ length: 2 * L }, (_, i) => i + 1)
              .filter((v) => v <= 4 || v % 2 === 0 || v === L)
              .map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
          </select>
          sublayers
        </label>
        <fieldset className="segmented" aria-label="x axis">
          {(['sublayers', 'params'] as const).map((a) => (
            <label key={a} className={axis === a ? 'on' : ''}>
              <input type="radio" name="curve-axis" checked={axis === a} onChange={() => setAxis(a)} />
              {a === 'sublayers' ? 'sublayers' : '% parameters'}
            </label>
          ))}
        </fieldset>
        {running ? (
          <button
            type="button"
            className="secondary-button"
            onClick={() => lab.cancelCurves()}
            data-testid="curves-cancel"
          >
            Cancel
          </button>
        ) : (
          <button
            type="button"
            className={complete && any ? 'secondary-button' : undefined}
            onClick={() => {
              void loadChart(); // fetched while the first plans run
              void lab.computeCurves(max);
            }}
            disabled={!ctx || complete}
            data-testid="curves-compute"
          >
            {complete && any ? 'Computed' : any ? 'Compute the rest' : 'Compute curves'}
          </button>
        )}
        <span className="curve-status" aria-live="polite" data-testid="curves-status" data-state={job.state}>
          {running ? (
            <>
              <progress max={1} value={frac} aria-label="Curves progress" data-testid="curves-progress" />
              {currentLabel} · {job.done} / {job.total} engine calls
              {job.unranked > 0 ? '; a strategy’s points join the count once it is ranked' : ''}
            </>
          ) : job.state === 'cancelled' ? (
            (job.error ?? 'Cancelled; the points measured so far stay.')
          ) : job.state === 'error' ? (
            <span className="inline-error">{job.error}</span>
          ) : complete && any ? (
            `${series.reduce((n, s) => n + s.points.length - 1, 0)} configurations measured`
          ) : (
            `${cost?.exact ? '' : 'up to '}${cost?.calls ?? 0} engine calls`
          )}
        </span>
      </div>
      {!any ? (
        <div className="placeholder">
          {running
            ? 'Ranking the sublayers of each strategy; the curves fill in as each point is evaluated.'
            : 'Compute the curves to compare the four strategies: one plan per strategy (LLM-Drop one-shot), then one perplexity per number dropped.'}
        </div>
      ) : (
        <>
          <ul className="curve-legend" aria-label="Legend">
            {legend.map((it) => (
              <li key={it.label}>
                <svg width="26" height="12" aria-hidden="true">
                  {it.shape === 'ring' ? (
                    <circle cx="13" cy="6" r="4.5" fill="none" stroke={it.color} strokeWidth="2" />
                  ) : (
                    <line x1="1" x2="25" y1="6" y2="6" stroke={it.color} strokeWidth="2.5" strokeDasharray={it.dash} />
                  )}
                </svg>
                {it.label}
              </li>
            ))}
          </ul>
          <Suspense fallback={<div className="curve-chart curve-chart-loading" data-testid="curves-chart-loading" />}>
            <CurvesChart
              series={series}
              mark={mark}
              axis={axis}
              xMax={xMax}
              xTicks={xTicks}
              y={y}
              baseline={baseline}
              currentKey={currentKey}
              onApply={apply}
            />
          </Suspense>
          <p className="readout" data-testid="curves-current">
            Current: {describeDrops(drops)} ({mark.sublayers} sublayer{mark.sublayers === 1 ? '' : 's'}
            {spec ? `, ${mark.paramsPct.toFixed(1)}% of parameters` : ''}
            {mark.perplexity !== null ? `, perplexity ${formatPpl(mark.perplexity)}` : ''})
            {mark.sublayers === 0
              ? ': where every curve starts'
              : mark.on.length
                ? `: on the ${mark.on.map((o) => `${curveName(o.strategy)} curve (n = ${o.n})`).join(' and ')}`
                : ': on no curve (not a one-shot plan)'}
          </p>
          <CurveTable series={series} currentKey={currentKey} onApply={apply} />
        </>
      )}
    </ChartFrame>
  );
}

/** The values as a table of buttons: sublayers dropped x strategy; a button applies that configuration. */
function CurveTable({
  series,
  currentKey,
  onApply,
}: {
  series: CurveSeries[];
  currentKey: string;
  onApply(d: DropConfig): void;
}) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.sublayers)))].sort((a, b) => a - b);
  const at = (s: CurveSeries, x: number) => s.points.find((p) => p.sublayers === x) ?? null;
  return (
    <details className="curve-table">
      <summary>Values (press one to apply that configuration)</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">dropped</th>
            {series.map((s) => (
              <th key={s.strategy} scope="col" style={{ color: STRATEGY_STYLE[s.strategy].color }}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {xs.map((x) => (
            <tr key={x}>
              <th scope="row">{x}</th>
              {series.map((s) => {
                const p = at(s, x);
                if (!p) return <td key={s.strategy} />;
                const on = dropKey(p.drop) === currentKey;
                return (
                  <td key={s.strategy}>
                    <button
                      type="button"
                      className={`value-button${on ? ' on' : ''}`}
                      aria-current={on || undefined}
                      title={describeDrops(p.drop)}
                      aria-label={`${s.label}, ${p.n} dropped: perplexity ${formatPpl(p.perplexity)}. Apply ${describeDrops(p.drop)}.`}
                      onClick={() => onApply(p.drop)}
                      data-testid={`curve-value-${s.strategy}-${p.n}`}
                    >
                      {formatPpl(p.perplexity)}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
