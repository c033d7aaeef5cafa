/**
 * The sublayer heatmap (SVG): one row for attention and one for MLP (or one for blocks), one column per
 * layer, colour = the metric. Every cell is a toggle button: click, or focus it (Tab, then the arrow
 * keys move between cells) and press Enter or Space, to drop or restore that sublayer. Dropped cells are
 * hatched and crossed out.
 */
import { type CSSProperties, type KeyboardEvent, useRef, useState } from 'react';
import { normalize, textOn, viridis } from '../charts/color';
import { NARROW_QUERY, pressVerb, useMediaQuery, useTouch } from '../layout/media';
import { formatValue } from '../format';
import type { HeatmapRow, SublayerHeatmapData } from './metric-data';

export interface SublayerHeatmapProps {
  data: SublayerHeatmapData;
  onToggle(kind: HeatmapRow['kind'], layer: number): void;
  /** Disable toggling (no model, or the engine is loading). */
  disabled?: boolean;
  /** A cell was clicked or got keyboard focus (the per-token view follows it). */
  onSelect?(kind: HeatmapRow['kind'], layer: number): void;
  /** Test ids of the SVG and the readout (default: 'sublayer-heatmap', 'heatmap-readout'). */
  testId?: string;
}

const LABEL_W = 92;
const GAP = 3;

/**
 * Row height and header height in SVG units. On a phone the SVG is drawn at about 0.4 of its size: taller
 * cells keep them a finger's size, and styles.css enlarges the labels there.
 */
export function heatmapRows(narrow: boolean): { rowH: number; headH: number } {
  return narrow ? { rowH: 84, headH: 30 } : { rowH: 46, headH: 22 };
}

function cellName(row: HeatmapRow, layer: number): string {
  return row.kind === 'attn' ? `Attention ${layer}` : row.kind === 'mlp' ? `MLP ${layer}` : `Block ${layer}`;
}

/**
 * A cell's accessible name, each fact once: what it is, its value or that it is dropped, whether its
 * block is partly dropped, and what pressing does (aria-pressed says the toggle state).
 */
export function cellLabel(row: HeatmapRow, layer: number, metricLabel: string): string {
  const dropped = row.dropped[layer];
  const what = dropped
    ? 'dropped'
    : `${metricLabel} ${formatValue(row.values[layer])}${row.partial[layer] ? ', partly dropped' : ''}`;
  return `${cellName(row, layer)}: ${what}. ${dropped ? 'Press to restore.' : 'Press to drop.'}`;
}

export function SublayerHeatmap({ data, onToggle, disabled, onSelect, testId }: SublayerHeatmapProps) {
  const narrow = useMediaQuery(NARROW_QUERY);
  const hatchId = testId ? `${testId}-hatch` : 'hatch';
  const { rowH: ROW_H, headH: HEAD_H } = heatmapRows(narrow);
  const L = data.rows[0]?.values.length ?? 0;
  const cellW = Math.max(22, Math.min(60, Math.floor(860 / Math.max(1, L))));
  const width = LABEL_W + L * cellW;
  const height = HEAD_H + data.rows.length * ROW_H;
  const [hover, setHover] = useState<{ r: number; l: number } | null>(null);
  const [focus, setFocus] = useState<{ r: number; l: number }>({ r: 0, l: 0 });
  const refs = useRef(new Map<string, SVGGElement>());
  const showNumbers = cellW >= 44;
  const touch = useTouch();
  const press = pressVerb(touch);

  const moveFocus = (r: number, l: number) => {
    const rr = Math.max(0, Math.min(data.rows.length - 1, r));
    const ll = Math.max(0, Math.min(L - 1, l));
    setFocus({ r: rr, l: ll });
    refs.current.get(`${rr}:${ll}`)?.focus();
  };

  const onKey = (e: KeyboardEvent, r: number, l: number) => {
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [r, l - 1],
      ArrowRight: [r, l + 1],
      ArrowUp: [r - 1, l],
      ArrowDown: [r + 1, l],
      Home: [r, 0],
      End: [r, L - 1],
    };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      moveFocus(m[0], m[1]);
    } else if ((e.key === 'Enter' || e.key === ' ') && !disabled) {
      e.preventDefault();
      onToggle(data.rows[r].kind, l);
    }
  };

  const shown = hover ?? null;
  const shownRow = shown ? data.rows[shown.r] : null;

  return (
    <div className="sublayer-heatmap">
      {/* biome-ignore lint/a11y/useSemanticElements: SVG has no <fieldset>; a group of toggle buttons */}
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ '--heatmap-w': `${width}px` } as CSSProperties}
        role="group"
        aria-label={`${data.label} per sublayer; each cell toggles dropping that sublayer`}
        data-testid={testId ?? 'sublayer-heatmap'}
        onMouseLeave={() => setHover(null)}
      >
        <defs>
          <pattern id={hatchId} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" fill="#eef0f3" />
            <line x1="0" y1="0" x2="0" y2="6" stroke="#c3c9d2" strokeWidth="2.5" />
          </pattern>
        </defs>
        {Array.from({ length: L }, (_, l) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: columns are layers
          <text key={l} x={LABEL_W + l * cellW + cellW / 2} y={HEAD_H - 7} textAnchor="middle" className="axis-label">
            {l}
          </text>
        ))}
        {data.rows.map((row, r) => {
          const y = HEAD_H + r * ROW_H;
          return (
            <g key={row.kind}>
              <text x={LABEL_W - 10} y={y + ROW_H / 2 + 4} textAnchor="end" className="row-label">
                {narrow && row.kind === 'attn' ? 'Attn' : row.label}
              </text>
              {row.values.map((v, l) => {
                const dropped = row.dropped[l];
                const t = v === null ? 0 : normalize(v, data.domain);
                const x = LABEL_W + l * cellW;
                const focused = focus.r === r && focus.l === l;
                const label = cellLabel(row, l, data.label);
                const fill = v === null ? '#f1f3f5' : viridis(t);
                return (
                  // biome-ignore lint/a11y/useSemanticElements: SVG cannot hold an HTML <button>; this <g> is one (role, tabindex, keys)
                  <g
                    // biome-ignore lint/suspicious/noArrayIndexKey: columns are layers
                    key={l}
                    ref={(el) => {
                      if (el) refs.current.set(`${r}:${l}`, el);
                      else refs.current.delete(`${r}:${l}`);
                    }}
                    role="button"
                    tabIndex={focused ? 0 : -1}
                    aria-pressed={dropped}
                    aria-label={label}
                    aria-disabled={disabled || undefined}
                    data-kind={row.kind}
                    data-layer={l}
                    data-dropped={dropped}
                    data-value={v ?? ''}
                    className={`cell${dropped ? ' dropped' : ''}${disabled ? ' disabled' : ''}`}
                    onClick={() => {
                      setFocus({ r, l });
                      setHover({ r, l });
                      if (!disabled) onToggle(row.kind, l);
                      onSelect?.(row.kind, l);
                    }}
                    onKeyDown={(e) => onKey(e, r, l)}
                    onFocus={() => {
                      setFocus({ r, l });
                      onSelect?.(row.kind, l);
                    }}
                    onMouseEnter={() => setHover({ r, l })}
                  >
                    <rect
                      x={x + GAP / 2}
                      y={y + GAP / 2}
                      width={cellW - GAP}
                      height={ROW_H - GAP}
                      rx={4}
                      fill={dropped ? `url(#${hatchId})` : fill}
                      className="cell-rect"
                    />
                    {dropped && (
                      <path
                        d={`M${x + cellW * 0.3} ${y + ROW_H * 0.3} L${x + cellW * 0.7} ${y + ROW_H * 0.7} M${x + cellW * 0.7} ${y + ROW_H * 0.3} L${x + cellW * 0.3} ${y + ROW_H * 0.7}`}
                        stroke="#c92a2a"
                        strokeWidth={2.5}
                        strokeLinecap="round"
                      />
                    )}
                    {!dropped && row.partial[l] && (
                      <circle cx={x + cellW - 8} cy={y + 8} r={3.5} fill="#c92a2a" stroke="#fff" />
                    )}
                    {!dropped && showNumbers && v !== null && (
                      <text
                        x={x + cellW / 2}
                        y={y + ROW_H / 2 + 4}
                        textAnchor="middle"
                        className="cell-value"
                        fill={textOn(t)}
                      >
                        {formatValue(v)}
                      </text>
                    )}
                    {!focused && hover?.r === r && hover.l === l && (
                      <rect
                        x={x + 1}
                        y={y + 1}
                        width={cellW - 2}
                        height={ROW_H - 2}
                        rx={5}
                        fill="none"
                        className="cell-hover"
                      />
                    )}
                    {focused && (
                      // A double ring (dark outside, light inside): visible on every cell colour and on the page.
                      <>
                        <rect
                          x={x + 0.5}
                          y={y + 0.5}
                          width={cellW - 1}
                          height={ROW_H - 1}
                          rx={5}
                          fill="none"
                          className="cell-focus cell-focus-outer"
                        />
                        <rect
                          x={x + 3}
                          y={y + 3}
                          width={cellW - 6}
                          height={ROW_H - 6}
                          rx={3}
                          fill="none"
                          className="cell-focus cell-focus-inner"
                        />
                      </>
                    )}
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
      <p className="readout" aria-live="polite" data-testid={testId ? `${testId}-readout` : 'heatmap-readout'}>
        {shown && shownRow
          ? `${cellName(shownRow, shown.l)} · ${shownRow.dropped[shown.l] ? `dropped (${press} to restore)` : `${data.label} = ${formatValue(shownRow.values[shown.l])} (${press} to drop)`}`
          : touch
            ? 'Tap a cell to drop or restore that sublayer (this line then names it).'
            : 'Hover a cell for its value; click it (or focus it and press Enter) to drop or restore that sublayer.'}
      </p>
    </div>
  );
}
