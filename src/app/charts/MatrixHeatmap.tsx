/**
 * A generic matrix heatmap (SVG) with row/column labels, hover readout and a colour scale: the layer x
 * layer similarity of boundary states and the angular-distance view (start x width) use it.
 */
import { useState } from 'react';
import { ColorScale } from './ColorScale';
import { type Domain, normalize, viridis } from './color';

export interface MatrixHeatmapProps {
  /** values[r][c]; null or NaN cells are left blank. */
  values: (number | null)[][];
  rowLabels: string[];
  colLabels: string[];
  rowTitle: string;
  colTitle: string;
  domain: Domain;
  /** Name of the value, for the legend and readout. */
  valueLabel: string;
  /** Readout for a cell. */
  describe(r: number, c: number, v: number | null): string;
  testId?: string;
}

const CELL_MAX = 26;
const SIZE = 360;

export function MatrixHeatmap(p: MatrixHeatmapProps) {
  const R = p.values.length;
  const C = p.values[0]?.length ?? 0;
  const cell = Math.max(6, Math.min(CELL_MAX, Math.floor(SIZE / Math.max(R, C, 1))));
  const left = 40;
  const top = 8;
  const bottom = 34;
  const width = left + C * cell + 8;
  const height = top + R * cell + bottom;
  const [hover, setHover] = useState<{ r: number; c: number } | null>(null);
  const every = (n: number) => Math.max(1, Math.ceil(n / 13));
  const rowStep = every(R);
  const colStep = every(C);
  const t = (v: number) => normalize(v, p.domain);
  return (
    <figure className="matrix-heatmap">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width * 1.3 }}
        role="img"
        aria-label={`${p.valueLabel}: ${R} by ${C} heatmap, ${p.rowTitle} by ${p.colTitle}`}
        data-testid={p.testId}
        onMouseLeave={() => setHover(null)}
        onMouseMove={(e) => {
          const box = e.currentTarget.getBoundingClientRect();
          const x = ((e.clientX - box.left) / box.width) * width - left;
          const y = ((e.clientY - box.top) / box.height) * height - top;
          const c = Math.floor(x / cell);
          const r = Math.floor(y / cell);
          setHover(r >= 0 && r < R && c >= 0 && c < C ? { r, c } : null);
        }}
      >
        {p.values.map((row, r) =>
          row.map((v, c) => {
            const ok = v !== null && Number.isFinite(v);
            return (
              <rect
                // biome-ignore lint/suspicious/noArrayIndexKey: fixed grid
                key={`${r}:${c}`}
                x={left + c * cell}
                y={top + r * cell}
                width={cell - (cell > 10 ? 1 : 0)}
                height={cell - (cell > 10 ? 1 : 0)}
                fill={ok ? viridis(t(v as number)) : '#f4f5f7'}
              >
                <title>{p.describe(r, c, ok ? (v as number) : null)}</title>
              </rect>
            );
          }),
        )}
        {hover && (
          <rect x={left + hover.c * cell} y={top + hover.r * cell} width={cell} height={cell} fill="none" stroke="#1b1f24" strokeWidth={1.5} pointerEvents="none" />
        )}
        {p.rowLabels.map((l, r) =>
          r % rowStep === 0 ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed grid
            <text key={r} x={left - 5} y={top + r * cell + cell / 2 + 3.5} textAnchor="end" className="axis-label">
              {l}
            </text>
          ) : null,
        )}
        {p.colLabels.map((l, c) =>
          c % colStep === 0 ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed grid
            <text key={c} x={left + c * cell + cell / 2} y={top + R * cell + 13} textAnchor="middle" className="axis-label">
              {l}
            </text>
          ) : null,
        )}
        <text x={left + (C * cell) / 2} y={height - 4} textAnchor="middle" className="axis-title">
          {p.colTitle}
        </text>
        <text x={10} y={top + (R * cell) / 2} textAnchor="middle" className="axis-title" transform={`rotate(-90 10 ${top + (R * cell) / 2})`}>
          {p.rowTitle}
        </text>
      </svg>
      <figcaption>
        <ColorScale domain={p.domain} label={p.valueLabel} />
        <span className="readout" aria-live="polite">
          {hover ? p.describe(hover.r, hover.c, p.values[hover.r][hover.c]) : `Hover a cell for its ${p.valueLabel.toLowerCase()}.`}
        </span>
      </figcaption>
    </figure>
  );
}
