/**
 * acc and acc_norm of the baseline (no drops) and of the current configuration as bars, each with its
 * standard error (lm-eval's mean_stderr) as an error bar of ±1 s.e., and chance (the mean of 1 / choices)
 * as a dashed line. Plain SVG (exported with the chart-export buttons as drawn).
 */
import type { TaskResult } from '../../engine/api';
import { metricOf } from '../../state/tasks';

const W = 440;
const H = 190;
const PAD = { top: 12, right: 74, bottom: 34, left: 40 };
export const BASE_COLOR = '#8a94a3';
export const CURRENT_BAR = '#0072b2';

/** Chance accuracy: the mean over items of 1 / number of choices. */
export function chanceOf(r: TaskResult): number {
  if (!r.items.length) return 0;
  return r.items.reduce((s, x) => s + 1 / Math.max(1, x.loglik.length), 0) / r.items.length;
}

export function AccuracyBars({ base, current }: { base: TaskResult | null; current: TaskResult | null }) {
  const any = base ?? current;
  if (!any) return null;
  const metrics = ([false, true] as const).filter((norm) => metricOf(any, norm) !== null);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + ih * (1 - Math.max(0, Math.min(1, v)));
  const group = iw / metrics.length;
  const bw = Math.min(56, group / 3);
  const chance = chanceOf(any);
  const bars = metrics.flatMap((norm, g) =>
    (
      [
        ['baseline', base, BASE_COLOR],
        ['current', current, CURRENT_BAR],
      ] as const
    ).map(([who, r, color], i) => {
      const m = r ? metricOf(r, norm) : null;
      const x = PAD.left + g * group + group / 2 + (i === 0 ? -bw - 3 : 3);
      return { key: `${norm}-${who}`, norm, who, m, x, color };
    }),
  );
  return (
    <svg
      className="task-bars"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label="Accuracy of the baseline and the current configuration, with standard errors"
      data-testid="task-bars"
    >
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e3e6ea" />
          <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" fontSize="11" fill="#555">
            {Math.round(t * 100)}%
          </text>
        </g>
      ))}
      {bars.map((b) =>
        b.m ? (
          <g key={b.key}>
            <rect x={b.x} y={y(b.m.value)} width={bw} height={y(0) - y(b.m.value)} fill={b.color}>
              <title>
                {b.who} {b.norm ? 'acc_norm' : 'acc'}: {(100 * b.m.value).toFixed(1)}% ± {(100 * b.m.stderr).toFixed(1)}
              </title>
            </rect>
            <line
              x1={b.x + bw / 2}
              x2={b.x + bw / 2}
              y1={y(b.m.value - b.m.stderr)}
              y2={y(b.m.value + b.m.stderr)}
              stroke="#1b1f24"
              strokeWidth="1.5"
            />
            {[-1, 1].map((sgn) => (
              <line
                key={sgn}
                x1={b.x + bw / 2 - 5}
                x2={b.x + bw / 2 + 5}
                y1={y(b.m!.value + sgn * b.m!.stderr)}
                y2={y(b.m!.value + sgn * b.m!.stderr)}
                stroke="#1b1f24"
                strokeWidth="1.5"
              />
            ))}
          </g>
        ) : null,
      )}
      {chance > 0 && (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(chance)} y2={y(chance)} stroke="#d55e00" strokeDasharray="5 4" />
          <text x={W - PAD.right + 6} y={y(chance) + 4} textAnchor="start" fontSize="11" fill="#a04000">
            chance {(100 * chance).toFixed(0)}%
          </text>
        </g>
      )}
      {metrics.map((norm, g) => (
        <text
          key={String(norm)}
          x={PAD.left + g * group + group / 2}
          y={H - PAD.bottom + 18}
          textAnchor="middle"
          fontSize="12"
          fill="#1b1f24"
        >
          {norm ? 'acc_norm' : 'acc'}
        </text>
      ))}
    </svg>
  );
}
