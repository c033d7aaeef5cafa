/**
 * Task accuracy against the number of dropped sublayers, beside the perplexity curves: the same one-shot
 * configurations of the four strategies (the curves' "Compute" scores each point on the chosen task after
 * its perplexity), with ±1 standard error bars, chance as a dashed line, and the current configuration's
 * accuracy as a ring. Plain SVG, so chart export takes it as drawn. Shown while a task is chosen.
 */
import { useMemo } from 'react';
import { assembleCurves, defaultMaxSublayers, STRATEGIES, STRATEGY_LABELS } from '../../state/curves';
import { type AccuracySeries, accuracySeries } from '../../state/curves-accuracy';
import { describeDrops, NO_DROPS } from '../../state/drops';
import { metricOf, resultKey, taskLabel } from '../../state/tasks';
import { accuracyCurvesTable } from '../chart-export/task-data';
import { ChartExport } from '../chart-export/ChartExport';
import type { LegendItem } from '../chart-export/svg-compose';
import { ChartFrame } from '../charts/ChartFrame';
import { useController, useWorkbench } from '../context';
import { CURRENT_COLOR, STRATEGY_STYLE } from '../curves/style';
import { chanceOf } from './AccuracyBars';
import './tasks.css';

const W = 640;
const H = 300;
const PAD = { top: 14, right: 92, bottom: 40, left: 48 };
const NO_RANKINGS = {};

export function AccuracyCurvesPanel() {
  const controller = useController();
  const choice = useWorkbench((s) => s.tasks.choice);
  const t = useWorkbench((s) => s.tasks);
  const generation = useWorkbench((s) => s.model.generation);
  const info = useWorkbench((s) => s.model.info);
  const ctx = useWorkbench((s) => s.results.context);
  const evals = useWorkbench((s) => s.results.evals);
  const curves = useWorkbench((s) => s.curves);
  const drops = useWorkbench((s) => s.drops.current);
  const L = info?.spec.numLayers ?? 0;
  const max = curves.maxSublayers || defaultMaxSublayers(L);
  const rankings = curves.context === ctx ? curves.rankings : NO_RANKINGS;
  const spec = info?.spec ?? null;
  const results = t.context === `g${generation}` ? t.results : null;
  const series = useMemo(() => assembleCurves(rankings, evals, L, max, spec), [rankings, evals, L, max, spec]);
  const acc: AccuracySeries[] = useMemo(
    () => (choice && results ? accuracySeries(series, results, choice) : []),
    [series, results, choice],
  );
  if (!choice) return null;
  const norm = t.norm;
  const axis = curves.axis;
  const any = acc.some((s) => s.points.length > 1);
  const base = results?.[resultKey(choice, NO_DROPS)] ?? null;
  const current = results?.[resultKey(choice, drops)] ?? null;
  const metric = (p: { acc: number; accStderr: number; accNorm: number | null; accNormStderr: number | null }) =>
    norm && p.accNorm !== null && p.accNormStderr !== null
      ? { v: p.accNorm, e: p.accNormStderr }
      : { v: p.acc, e: p.accStderr };
  const xOf = (p: { sublayers: number; paramsPct: number }) => (axis === 'sublayers' ? p.sublayers : p.paramsPct);
  const xMax = Math.max(1, ...acc.flatMap((s) => s.points.map(xOf)));
  // Whole sublayers on the sublayer axis (every one up to 16, else every other); six steps of percent.
  const xTicks =
    axis === 'sublayers'
      ? Array.from({ length: Math.floor(xMax) + 1 }, (_, i) => i).filter((i) => xMax <= 16 || i % 2 === 0)
      : Array.from({ length: 6 }, (_, i) => (xMax * i) / 5);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + (iw * v) / xMax;
  const y = (v: number) => PAD.top + ih * (1 - Math.max(0, Math.min(1, v)));
  const chance = base ? chanceOf(base) : 0;
  const legend: LegendItem[] = STRATEGIES.map((s) => ({
    label: STRATEGY_LABELS[s],
    color: STRATEGY_STYLE[s].color,
    dash: STRATEGY_STYLE[s].dash,
  }));
  const cm = current ? metricOf(current, norm && current.accNorm !== null) : null;
  const curX = axis === 'sublayers' ? drops.attn.length + drops.mlp.length : null;
  const name = taskLabel(choice.source);

  return (
    <ChartFrame
      id="accuracy-curves"
      title="Task accuracy vs. sublayers dropped"
      subtitle={`${name}, ${norm ? 'acc_norm' : 'acc'} at each one-shot configuration of the perplexity curves (computed with them while a task is chosen); ±1 standard error.`}
      actions={
        <ChartExport
          chartId="accuracy-curves"
          name={`accuracy-curves-${axis}`}
          title={`Task accuracy vs. sublayers dropped (LLM-Drop one-shot): ${name}`}
          subtitle={`${norm ? 'acc_norm' : 'acc'} against ${axis === 'sublayers' ? 'the number of dropped sublayers (a block is two)' : 'the share of parameters removed'}; ±1 standard error.`}
          legend={legend}
          table={() => (any ? accuracyCurvesTable(acc, name) : null)}
          disabled={!any}
        />
      }
      empty={
        any
          ? null
          : 'Compute the perplexity curves above: with a task chosen, each of their points is scored on it too.'
      }
    >
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={`Task accuracy against ${axis === 'sublayers' ? 'sublayers dropped' : 'parameters removed'}, four strategies`}
        data-testid="accuracy-curves-chart"
      >
        {[0, 0.25, 0.5, 0.75, 1].map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#e3e6ea" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" fontSize="11" fill="#555">
              {Math.round(v * 100)}%
            </text>
          </g>
        ))}
        {xTicks.map((v) => (
          <text key={v} x={x(v)} y={H - PAD.bottom + 16} textAnchor="middle" fontSize="11" fill="#555">
            {axis === 'sublayers' ? Number(v.toFixed(1)) : `${v.toFixed(0)}%`}
          </text>
        ))}
        <text x={PAD.left + iw / 2} y={H - 6} textAnchor="middle" fontSize="12" fill="#1b1f24">
          {axis === 'sublayers' ? 'sublayers dropped' : 'parameters removed'}
        </text>
        {chance > 0 && (
          <g>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(chance)}
              y2={y(chance)}
              stroke="#d55e00"
              strokeDasharray="5 4"
            />
            <text x={W - PAD.right + 6} y={y(chance) + 4} fontSize="11" fill="#a04000">
              chance {(100 * chance).toFixed(0)}%
            </text>
          </g>
        )}
        {acc.map((s) => {
          const st = STRATEGY_STYLE[s.strategy];
          const pts = s.points.map((p) => ({ p, m: metric(p) }));
          return (
            <g key={s.strategy}>
              <polyline
                fill="none"
                stroke={st.color}
                strokeWidth="2"
                strokeDasharray={st.dash}
                points={pts.map(({ p, m }) => `${x(xOf(p))},${y(m.v)}`).join(' ')}
              />
              {pts.map(({ p, m }) => (
                <g key={p.n}>
                  <line
                    x1={x(xOf(p))}
                    x2={x(xOf(p))}
                    y1={y(m.v - m.e)}
                    y2={y(m.v + m.e)}
                    stroke={st.color}
                    opacity="0.6"
                  />
                  {/* biome-ignore lint/a11y/noStaticElementInteractions: a pointer shortcut; the perplexity curves' value table applies every configuration by keyboard */}
                  <circle
                    cx={x(xOf(p))}
                    cy={y(m.v)}
                    r="4"
                    fill={st.color}
                    style={{ cursor: 'pointer' }}
                    onClick={() => controller.setDrops(p.drop)}
                    data-testid={`accuracy-point-${s.strategy}-${p.n}`}
                    data-acc={m.v}
                  >
                    <title>
                      {s.label}, n = {p.n}: {(100 * m.v).toFixed(1)}% ± {(100 * m.e).toFixed(1)}, perplexity{' '}
                      {p.perplexity.toFixed(3)} ({describeDrops(p.drop)}). Click to apply.
                    </title>
                  </circle>
                </g>
              ))}
            </g>
          );
        })}
        {cm && curX !== null && curX <= xMax && (
          <circle cx={x(curX)} cy={y(cm.value)} r="7" fill="none" stroke={CURRENT_COLOR} strokeWidth="2">
            <title>current configuration: {(100 * cm.value).toFixed(1)}%</title>
          </circle>
        )}
      </svg>
      <ul className="curve-legend" aria-label="Legend">
        {legend.map((it) => (
          <li key={it.label}>
            <svg width="26" height="12" aria-hidden="true">
              <line x1="1" x2="25" y1="6" y2="6" stroke={it.color} strokeWidth="2.5" strokeDasharray={it.dash} />
            </svg>
            {it.label}
          </li>
        ))}
      </ul>
    </ChartFrame>
  );
}
