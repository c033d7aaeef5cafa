/**
 * The perplexity curves drawn with recharts: one line per strategy, a dot per measured configuration
 * (click to apply it), the baseline and a ring on the current configuration. Loaded lazily by
 * CurvesPanel, so recharts is not part of the page's first script.
 */
import { CartesianGrid, Line, LineChart, ReferenceDot, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { DropConfig } from '../../engine/api';
import { type CurvePoint, type CurveSeries, type currentMark, STRATEGY_LABELS } from '../../state/curves';
import { describeDrops, dropKey } from '../../state/drops';
import { formatPercent, formatPpl } from '../format';
import { CURRENT_COLOR, STRATEGY_STYLE } from './style';

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

export interface CurvesChartProps {
  series: CurveSeries[];
  mark: ReturnType<typeof currentMark>;
  axis: 'sublayers' | 'params';
  xMax: number;
  xTicks: number[] | undefined;
  y: { domain: [number, number]; ticks: number[] };
  baseline: number | null;
  currentKey: string;
  onApply(d: DropConfig): void;
}

export function CurvesChart({ series, mark, axis, xMax, xTicks, y, baseline, currentKey, onApply }: CurvesChartProps) {
  const xOf = (p: { sublayers: number; paramsPct: number }) => (axis === 'sublayers' ? p.sublayers : p.paramsPct);
  return (
    <div className="curve-chart" data-testid="curves-chart">
      <LineChart responsive style={{ width: '100%', height: 330 }} margin={{ top: 12, right: 24, bottom: 22, left: 8 }}>
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
            <CurveTooltip active={p.active} payload={p.payload as readonly { payload?: Row }[]} baseline={baseline} />
          )}
        />
        {baseline && <ReferenceLine y={baseline} stroke="#adb5bd" strokeDasharray="4 4" ifOverflow="extendDomain" />}
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
                  onClick={() => onApply(p.drop)}
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
  );
}
