/**
 * A generic matrix heatmap (SVG) with row/column labels, a readout and a colour scale: the layer x layer
 * similarity of boundary states and the angular-distance view (start x width) use it.
 *
 * Keyboard and screen readers: the SVG is a grid (rows of gridcells, each named by `describe`), one tab
 * stop with a roving tabindex; the arrow keys move, Home/End go to the row's ends, Ctrl+Home/End to the
 * corners, PageUp/PageDown by a fifth of the rows. The readout follows the mouse, a tap or the focus.
 */
import { type CSSProperties, type KeyboardEvent, useRef, useState } from 'react';
import { ColorScale } from './ColorScale';
import { type Domain, normalize, viridis } from './color';
import { useTouch } from '../layout/media';

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
  /** Readout for a cell (also its accessible name). */
  describe(r: number, c: number, v: number | null): string;
  testId?: string;
}

/** The cell a key moves to from (r, c) in an R x C grid, or null for a key that does not move. */
export function gridMove(
  key: string,
  ctrl: boolean,
  r: number,
  c: number,
  R: number,
  C: number,
): { r: number; c: number } | null {
  const page = Math.max(1, Math.round(R / 5));
  const to: Record<string, [number, number]> = {
    ArrowLeft: [r, c - 1],
    ArrowRight: [r, c + 1],
    ArrowUp: [r - 1, c],
    ArrowDown: [r + 1, c],
    Home: ctrl ? [0, 0] : [r, 0],
    End: ctrl ? [R - 1, C - 1] : [r, C - 1],
    PageUp: [r - page, c],
    PageDown: [r + page, c],
  };
  const m = to[key];
  if (!m || R === 0 || C === 0) return null;
  return { r: Math.max(0, Math.min(R - 1, m[0])), c: Math.max(0, Math.min(C - 1, m[1])) };
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
  const [active, setActive] = useState<{ r: number; c: number }>({ r: 0, c: 0 });
  const [focused, setFocused] = useState(false);
  const refs = useRef(new Map<string, SVGRectElement>());
  const touch = useTouch();
  const every = (n: number) => Math.max(1, Math.ceil(n / 13));
  const rowStep = every(R);
  const colStep = every(C);
  const t = (v: number) => normalize(v, p.domain);
  const at = { r: Math.min(active.r, Math.max(0, R - 1)), c: Math.min(active.c, Math.max(0, C - 1)) };
  const valueAt = (r: number, c: number) => {
    const v = p.values[r]?.[c];
    return v !== null && v !== undefined && Number.isFinite(v) ? v : null;
  };
  const shown = hover ?? (focused ? at : null);

  const onKey = (e: KeyboardEvent) => {
    const m = gridMove(e.key, e.ctrlKey || e.metaKey, at.r, at.c, R, C);
    if (!m) return;
    e.preventDefault();
    setActive(m);
    setHover(null);
    refs.current.get(`${m.r}:${m.c}`)?.focus();
  };

  return (
    <figure className="matrix-heatmap">
      {/* biome-ignore lint/a11y/useSemanticElements: an SVG chart cannot hold a <table>; this svg is an ARIA grid */}
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ '--heatmap-w': `${width}px` } as CSSProperties}
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: the grid's cells take the focus (roving tabindex)
        role="grid"
        aria-label={`${p.valueLabel}: ${R} by ${C} heatmap, ${p.rowTitle} by ${p.colTitle}`}
        aria-rowcount={R}
        aria-colcount={C}
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
        onKeyDown={onKey}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
      >
        {p.values.map((row, r) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed grid
          // biome-ignore lint/a11y/useSemanticElements: SVG has no <tr>
          <g key={r} role="row" aria-rowindex={r + 1}>
            {row.map((_, c) => {
              const v = valueAt(r, c);
              const isActive = at.r === r && at.c === c;
              return (
                // biome-ignore lint/a11y/useSemanticElements: SVG has no <td>
                <rect
                  // biome-ignore lint/suspicious/noArrayIndexKey: fixed grid
                  key={c}
                  ref={(el) => {
                    if (el) refs.current.set(`${r}:${c}`, el);
                    else refs.current.delete(`${r}:${c}`);
                  }}
                  role="gridcell"
                  aria-colindex={c + 1}
                  aria-label={p.describe(r, c, v)}
                  tabIndex={isActive ? 0 : -1}
                  data-row={r}
                  data-col={c}
                  className="matrix-cell"
                  x={left + c * cell}
                  y={top + r * cell}
                  width={cell - (cell > 10 ? 1 : 0)}
                  height={cell - (cell > 10 ? 1 : 0)}
                  fill={v !== null ? viridis(t(v)) : '#f4f5f7'}
                  onFocus={() => setActive({ r, c })}
                  onClick={() => setHover({ r, c })}
                />
              );
            })}
          </g>
        ))}
        {hover && (
          // biome-ignore lint/a11y/noAriaHiddenOnFocusable: a plain SVG rect, not focusable
          <rect
            x={left + hover.c * cell}
            y={top + hover.r * cell}
            width={cell}
            height={cell}
            fill="none"
            stroke="#1b1f24"
            strokeWidth={1.5}
            pointerEvents="none"
            aria-hidden="true"
          />
        )}
        {focused && (
          // A double ring (dark outside, light inside): visible on every cell colour.
          // biome-ignore lint/a11y/noAriaHiddenOnFocusable: plain SVG shapes, not focusable
          <g pointerEvents="none" aria-hidden="true" data-testid={p.testId ? `${p.testId}-focus` : undefined}>
            <rect
              x={left + at.c * cell - 1.5}
              y={top + at.r * cell - 1.5}
              width={cell + 3}
              height={cell + 3}
              fill="none"
              className="cell-focus cell-focus-outer"
            />
            <rect
              x={left + at.c * cell + 1}
              y={top + at.r * cell + 1}
              width={Math.max(1, cell - 3)}
              height={Math.max(1, cell - 3)}
              fill="none"
              className="cell-focus cell-focus-inner"
            />
          </g>
        )}
        {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: the axis labels, plain SVG text (each cell's name holds its row and column) */}
        <g aria-hidden="true">
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
              <text
                // biome-ignore lint/suspicious/noArrayIndexKey: fixed grid
                key={c}
                x={left + c * cell + cell / 2}
                y={top + R * cell + 13}
                textAnchor="middle"
                className="axis-label"
              >
                {l}
              </text>
            ) : null,
          )}
          <text x={left + (C * cell) / 2} y={height - 4} textAnchor="middle" className="axis-title">
            {p.colTitle}
          </text>
          <text
            x={10}
            y={top + (R * cell) / 2}
            textAnchor="middle"
            className="axis-title"
            transform={`rotate(-90 10 ${top + (R * cell) / 2})`}
          >
            {p.rowTitle}
          </text>
        </g>
      </svg>
      <figcaption>
        <ColorScale domain={p.domain} label={p.valueLabel} />
        {/* Not aria-live: the focused cell's name already says it (read once). */}
        <span className="readout">
          {shown
            ? p.describe(shown.r, shown.c, valueAt(shown.r, shown.c))
            : `${touch ? 'Tap' : 'Hover'} a cell for its ${p.valueLabel.toLowerCase()}, or focus the matrix (Tab) and use the arrow keys.`}
        </span>
      </figcaption>
    </figure>
  );
}
