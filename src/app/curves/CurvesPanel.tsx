/**
 * Perplexity against the number of dropped sublayers for LLM-Drop's four one-shot strategies, computed
 * on demand (one plan call per strategy, then one evaluation per point; progress and cancel), on a
 * logarithmic perplexity axis, with the current configuration marked. Click a point (or a value in the
 * table under the chart) to apply that configuration.
 */
import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceDot, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { DropConfig } from '../../engine/api';
import {
  assembleCurves,
  type CurvePoint,
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
import { formatPercent, formatPpl } from '../format';
import { useLab } from '../lab/use-lab';
import '../lab/lab.css';

/** Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), plus a dash each. */
export const STRATEGY_STYLE: Record<Strategy, { color: string; dash?: string }> = {
  attn: { color: '#0072B2' },
  mlp: { color: '#D55E00', dash: '7 3' },
  block: { color: '#009E73', dash: '2 3' },
  joint: { color: '#CC79A7', dash: '10 3 2 3' },
};
const CURRENT_COLOR = '#1b1f24';

function curveName(s: Strategy): string {
  return s === 'mlp' ? 'MLP drop' : STRATEGY_LABELS[s].toLowerCase();
}

interface Row extends CurvePoint {
  x: number;
}

function CurveTooltip({
  active,
  payload,
  baseline,
}: {
  active?: boolean;
  payload?: readonly { payload?: Row }[];
  baseline: number | null;
}) {
  if (!active || !payload?.length) return null;
  const rows = payload.map((p) => p.payload).filter((r): r is Row => !!r);
  if (!rows.length) return null;
  return (
    <div className="curve-tooltip">
      {rows.map((r) => (
        <div key={`${r.strategy}${r.n}`}>
          <strong style={{ color: STRATEGY_STYLE[r.strategy].color }}>{STRATEGY_LABELS[r.strategy]}</strong>, n = {r.n}:
          perplexity {formatPpl(r.perplexity)}
          {baseline ? ` (${formatPercent(r.perplexity / baseline - 1)})` : ''}
          <div className="curve-tooltip-drops">{describeDrops(r.drop)}</div>
        </div>
      ))}
      <div className="curve-tooltip-hint">Click a point to apply it.</div>
    </div>
  );
}

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
  const rankings = curves.context === ctx ? curves.rankings : {};
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
  const frac = job.total > 0 ? Math.min(1, (job.done + job.partial) / job.total) : 0;
  const currentLabel = job.current
    ? job.current.n === 0
      ? `ranking ${STRATEGY_LABELS[job.current.strategy].toLowerCase()}`
      : `${STRATEGY_LABELS[job.current.strategy]}, n = ${job.current.n}`
    : 'starting';

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
            onClick={() => void lab.computeCurves(max)}
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
            </>
          ) : job.state === 'cancelled' ? (
            (job.error ?? 'Cancelled; the points measured so far stay.')
          ) : job.state === 'error' ? (
            <span className="inline-error">{job.error}</span>
          ) : complete && any ? (
            `${series.reduce((n, s) => n + s.points.length - 1, 0)} configurations measured`
          ) : (
            `about ${lab.curvesCost(max)} engine calls`
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
          <div className="curve-chart" data-testid="curves-chart">
            <LineChart
              responsive
              style={{ width: '100%', height: 330 }}
              margin={{ top: 12, right: 24, bottom: 22, left: 8 }}
            >
              <CartesianGrid stroke="#e9ecef" />
              <XAxis
                type="number"
                dataKey="x"
                domain={[0, axis === 'sublayers' ? Math.ceil(xMax) : Math.ceil(xMax / 5) * 5]}
                ticks={xTicks}
                allowDecimals={axis !== 'sublayers'}
                tickFormatter={(v: number) => (axis === 'sublayers' ? String(v) : `${Math.round(v)}%`)}
                label={{
                  value: axis === 'sublayers' ? 'sublayers dropped' : 'parameters removed',
                  position: 'insideBottom',
                  offset: -12,
                  className: 'axis-title',
                }}
                tick={{ className: 'axis-label' }}
              />
              <YAxis
                type="number"
                scale="log"
                domain={y.domain}
                ticks={y.ticks}
                allowDataOverflow
                width={58}
                tickFormatter={(v: number) => formatPpl(v)}
                label={{ value: 'perplexity', angle: -90, position: 'insideLeft', offset: 10, className: 'axis-title' }}
                tick={{ className: 'axis-label' }}
              />
              <Tooltip
                content={(p) => (
                  <CurveTooltip
                    active={p.active}
                    payload={p.payload as readonly { payload?: Row }[]}
                    baseline={baseline}
                  />
                )}
              />
              {baseline && (
                <ReferenceLine y={baseline} stroke="#adb5bd" strokeDasharray="4 4" ifOverflow="extendDomain" />
              )}
              {series.map((s: CurveSeries) => (
                <Line
                  key={s.strategy}
                  data={s.points.map((p): Row => ({ ...p, x: xOf(p) }))}
                  dataKey="perplexity"
                  name={s.label}
                  stroke={STRATEGY_STYLE[s.strategy].color}
                  strokeDasharray={STRATEGY_STYLE[s.strategy].dash}
                  strokeWidth={2.2}
                  isAnimationActive={false}
                  type="linear"
                  activeDot={{ r: 6 }}
                  dot={(d) => {
                    const p = d.payload as Row;
                    const on = dropKey(p.drop) === currentKey;
                    return (
                      // biome-ignore lint/a11y/noStaticElementInteractions: a pointer shortcut; the value table below has a button for every point
                      <circle
                        key={`${s.strategy}-${p.n}`}
                        cx={d.cx}
                        cy={d.cy}
                        r={on ? 5 : 3.2}
                        fill={on ? STRATEGY_STYLE[s.strategy].color : '#fff'}
                        stroke={STRATEGY_STYLE[s.strategy].color}
                        strokeWidth={1.8}
                        className="curve-dot"
                        data-strategy={s.strategy}
                        data-n={p.n}
                        data-perplexity={p.perplexity}
                        data-current={on || undefined}
                        onClick={() => apply(p.drop)}
                      />
                    );
                  }}
                />
              ))}
              {mark.perplexity !== null && (
                <ReferenceDot
                  x={xOf(mark)}
                  y={mark.perplexity}
                  r={9}
                  fill="none"
                  stroke={CURRENT_COLOR}
                  strokeWidth={2.5}
                  ifOverflow="extendDomain"
                  shape={(d) => (
                    <circle
                      cx={d.cx}
                      cy={d.cy}
                      r={9}
                      fill="none"
                      stroke={CURRENT_COLOR}
                      strokeWidth={2.5}
                      className="curve-current"
                      data-testid="curve-current"
                      data-x={xOf(mark)}
                      data-perplexity={mark.perplexity ?? ''}
                    />
                  )}
                  label={{ value: 'current', position: 'top', className: 'curve-current-label', offset: 12 }}
                />
              )}
            </LineChart>
          </div>
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
