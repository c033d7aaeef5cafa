/**
 * The per-token view: how much one sublayer changes each token of the first evaluation window,
 * 1 - cos(input, output) at every position (EngineApi.tokenDelta), with the current drops in place.
 * The tokens are drawn as text (React text nodes only: a token can hold anything) on a colour scale;
 * hover or focus a token for its value. Pick the sublayer here, or click/focus a heatmap cell.
 */
import { type KeyboardEvent, memo, useEffect, useId, useMemo, useState } from 'react';
import type { TokenDelta } from '../../engine/api';
import { leastImportant } from '../../state/classroom';
import { dropKey, NO_DROPS } from '../../state/drops';
import {
  tokenCells,
  tokenDomain,
  tokenKey,
  tokenSummary,
  type TokenCell,
  type TokenDomain,
} from '../../state/token-view';
import { tokensTable } from '../chart-export/chart-data';
import { ChartExport } from '../chart-export/ChartExport';
import { spansAsSvg, standaloneSvg } from '../chart-export/dom-export';
import { ChartFrame } from '../charts/ChartFrame';
import { useWorkbench } from '../context';
import { formatValue } from '../format';
import { useLab } from '../lab/use-lab';
import { TouchText } from '../layout/TouchText';
import { tokenColor, tokenTextColor } from './token-colors';
import '../lab/lab.css';

const KIND_NAME = { attn: 'Attention', mlp: 'MLP' } as const;

function quoted(c: TokenCell): string {
  return `“${c.shown}”`;
}

function tokenLabel(c: TokenCell): string {
  return `position ${c.index}, ${quoted(c)}: 1 − cos = ${formatValue(c.value)}`;
}

const TokenText = memo(function TokenText({ cells, active, id }: { cells: TokenCell[]; active: number; id: string }) {
  return (
    <>
      {cells.map((c) => (
        <span key={c.index}>
          {/* biome-ignore lint/a11y/useFocusableInteractive: options of a listbox with aria-activedescendant; the listbox holds the focus */}
          <span
            id={`${id}-${c.index}`}
            role="option"
            aria-selected={c.index === active}
            aria-label={tokenLabel(c)}
            className={`tok${c.index === active ? ' active' : ''}`}
            data-i={c.index}
            data-value={c.value}
            title={tokenLabel(c)}
            style={{ backgroundColor: tokenColor(c.t), color: tokenTextColor(c.t) }}
          >
            {c.shown}
          </span>
          {c.newline && <br />}
        </span>
      ))}
    </>
  );
});

function TokenScale({ domain }: { domain: TokenDomain }) {
  const gid = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const ticks = Array.from({ length: 5 }, (_, i) =>
    domain.log ? domain.min * (domain.max / domain.min) ** (i / 4) : domain.min + ((domain.max - domain.min) * i) / 4,
  );
  const w = 280;
  const pad = 24;
  return (
    <svg
      className="color-scale token-scale"
      width={w}
      height={44}
      viewBox={`0 0 ${w} 44`}
      role="img"
      aria-label={`1 − cos colour scale from ${formatValue(domain.min)} to ${formatValue(domain.max)}${domain.log ? ', logarithmic' : ''}`}
    >
      <defs>
        <linearGradient id={`tg${gid}`} x1="0" x2="1" y1="0" y2="0">
          {Array.from({ length: 11 }, (_, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed gradient stops
            <stop key={i} offset={i / 10} stopColor={tokenColor(i / 10)} />
          ))}
        </linearGradient>
      </defs>
      <rect x={pad} y={4} width={w - 2 * pad} height={12} rx={2} fill={`url(#tg${gid})`} stroke="#d5dae1" />
      {ticks.map((v, i) => {
        const x = pad + ((w - 2 * pad) * i) / 4;
        return (
          <g key={v}>
            <line x1={x} x2={x} y1={16} y2={20} stroke="#5f6b7a" />
            <text x={x} y={32} textAnchor="middle" className="tick">
              {formatValue(v)}
              {i === 4 ? '+' : ''}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function TokenPanel() {
  const lab = useLab();
  const info = useWorkbench((s) => s.model.info);
  const ctx = useWorkbench((s) => s.results.context);
  const drops = useWorkbench((s) => s.drops.current);
  const dataReady = useWorkbench((s) => s.data.status === 'ready');
  const view = useWorkbench((s) => s.tokenView);
  const fullAnalysis = useWorkbench((s) => s.results.analyses[dropKey(NO_DROPS)] ?? null);
  const selectTokenSublayer = useWorkbench((s) => s.selectTokenSublayer);
  const setFollow = useWorkbench((s) => s.setTokenFollow);
  const setScale = useWorkbench((s) => s.setTokenScale);
  const L = info?.spec.numLayers ?? 0;
  const sel = view.selected && view.selected.layer < L ? view.selected : null;
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const [active, setActive] = useState(-1);

  // First time: the most redundant attention layer of the full model (the one LLM-Drop drops first).
  useEffect(() => {
    if (sel || !fullAnalysis || !L) return;
    selectTokenSublayer({ kind: 'attn', layer: leastImportant(fullAnalysis.importance.attn, 1)[0] ?? 0 });
  }, [sel, fullAnalysis, L, selectTokenSublayer]);

  // Compute what the chosen sublayer does under the current drops (queued behind the perplexity).
  const key = sel && ctx ? tokenKey(ctx, drops, sel) : null;
  useEffect(() => {
    if (key && dataReady) void lab.requestTokens();
  }, [lab, key, dataReady]);

  const exact = key && view.context === ctx ? (view.results[key] ?? null) : null;
  // While the exact result is computed: the last one for the same sublayer, dimmed.
  const shown: TokenDelta | null = useMemo(() => {
    if (exact) return exact;
    if (!sel || view.context !== ctx) return null;
    const same = Object.values(view.results).filter((r) => r.kind === sel.kind && r.layer === sel.layer);
    return same[same.length - 1] ?? null;
  }, [exact, sel, view.results, view.context, ctx]);
  const stale = !!shown && !exact;

  const domain = useMemo(() => (shown ? tokenDomain(shown.delta, view.scale) : null), [shown, view.scale]);
  const cells = useMemo(() => (shown && domain ? tokenCells(shown, domain) : []), [shown, domain]);
  const summary = useMemo(() => (shown ? tokenSummary(shown) : null), [shown]);
  useEffect(() => {
    if (active >= cells.length) setActive(-1);
  }, [active, cells.length]);

  const name = sel ? `${KIND_NAME[sel.kind]} ${sel.layer}` : '';
  const isDropped = !!sel && drops[sel.kind].includes(sel.layer);
  const step = (d: number) => {
    if (!sel) return;
    // Attention 0, MLP 0, Attention 1, ... in the order of the residual stream.
    const order = sel.layer * 2 + (sel.kind === 'mlp' ? 1 : 0) + d;
    const k = Math.max(0, Math.min(2 * L - 1, order));
    lab.selectTokens({ kind: k % 2 ? 'mlp' : 'attn', layer: Math.floor(k / 2) });
  };

  const onKey = (e: KeyboardEvent) => {
    if (!cells.length) return;
    const last = cells.length - 1;
    const moves: Record<string, number> = {
      ArrowRight: active + 1,
      ArrowDown: active + 1,
      ArrowLeft: active - 1,
      ArrowUp: active - 1,
      Home: 0,
      End: last,
      PageDown: active + 32,
      PageUp: active - 32,
    };
    if (e.key in moves) {
      e.preventDefault();
      const i = Math.max(0, Math.min(last, moves[e.key]));
      setActive(i);
      document.getElementById(`${id}-${i}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Escape') setActive(-1);
  };

  const activeCell = active >= 0 ? cells[active] : null;
  const empty = !info
    ? 'Loading the model…'
    : !sel
      ? 'Appears once the model is measured.'
      : !shown
        ? view.error
          ? `Could not compute it: ${view.error}`
          : `Measuring ${name} on every token of window 0…`
        : null;

  return (
    <ChartFrame
      id="tokens"
      title="Per-token change"
      subtitle={
        <>
          1 − cos(input, output) of one sublayer at every token of window 0 of the evaluation text, with the current
          drops applied before it. Pale = the sublayer leaves that token's hidden state almost unchanged.
        </>
      }
      stale={stale}
      actions={
        <ChartExport
          chartId="tokens"
          name={sel ? `per-token-${sel.kind}${sel.layer}` : 'per-token'}
          title={`Per-token change: ${name}`}
          subtitle={`1 − cos(input, output) of ${name} at every token of window 0, with ${drops.attn.length + drops.mlp.length ? 'the drops below' : 'nothing dropped'}. Colour scale: ${domain?.log ? 'logarithmic' : 'linear'}, values over the 99th percentile saturate.`}
          table={() => (shown ? tokensTable(shown) : null)}
          parts={() => {
            const text = document.querySelector(`[data-chart="tokens"] .token-text`);
            const scale = document.querySelector<SVGSVGElement>(`[data-chart="tokens"] svg.token-scale`);
            const p = text ? spansAsSvg(text, '.tok') : null;
            const out = p ? [p] : [];
            if (scale) out.push(standaloneSvg(scale));
            return out;
          }}
          disabled={!shown}
        />
      }
    >
      <div className="token-controls">
        {/* biome-ignore lint/a11y/useSemanticElements: a row of controls, not a form section */}
        <div className="token-picker" role="group" aria-label="Sublayer shown">
          <button
            type="button"
            className="ghost-button"
            onClick={() => step(-1)}
            disabled={!sel || (sel.kind === 'attn' && sel.layer === 0)}
            aria-label="Previous sublayer"
          >
            ‹
          </button>
          <select
            aria-label="Sublayer kind"
            value={sel?.kind ?? 'attn'}
            onChange={(e) => lab.selectTokens({ kind: e.target.value as 'attn' | 'mlp', layer: sel?.layer ?? 0 })}
            disabled={!L}
            data-testid="token-kind"
          >
            <option value="attn">Attention</option>
            <option value="mlp">MLP</option>
          </select>
          <select
            aria-label="Layer"
            value={sel?.layer ?? 0}
            onChange={(e) => lab.selectTokens({ kind: sel?.kind ?? 'attn', layer: Number(e.target.value) })}
            disabled={!L}
            data-testid="token-layer"
          >
            {Array.from({ length: L }, (_, l) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: options are layers
              <option key={l} value={l}>
                layer {l}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="ghost-button"
            onClick={() => step(1)}
            disabled={!sel || (sel.kind === 'mlp' && sel.layer === L - 1)}
            aria-label="Next sublayer"
          >
            ›
          </button>
        </div>
        <label className="legend-item">
          <input type="checkbox" checked={view.follow} onChange={(e) => setFollow(e.target.checked)} />
          follow heatmap clicks
        </label>
        <label className="legend-item">
          <input
            type="checkbox"
            checked={view.scale === 'log'}
            onChange={(e) => setScale(e.target.checked ? 'log' : 'linear')}
          />
          log colour scale
        </label>
      </div>
      {empty ? (
        <div className="placeholder" data-testid="token-status">
          {empty}
        </div>
      ) : (
        <>
          <p className="token-summary" data-testid="token-summary">
            <strong>{name}</strong>
            {isDropped && <span className="tag">dropped: what it would do</span>}
            {summary && (
              <>
                {' '}
                · mean {formatValue(summary.mean)} · max {formatValue(summary.max)}
                {summary.argmax >= 0 && cells[summary.argmax]
                  ? ` at position ${summary.argmax} (${quoted(cells[summary.argmax])})`
                  : ''}{' '}
                · {cells.length} tokens
              </>
            )}
            {stale && <span className="legend-note"> · updating for the current drops…</span>}
          </p>
          <div
            className="token-text"
            role="listbox"
            tabIndex={0}
            aria-label={`Tokens of window 0 coloured by how much ${name} changes them. Arrow keys move between tokens.`}
            aria-activedescendant={active >= 0 ? `${id}-${active}` : undefined}
            data-testid="token-text"
            data-sublayer={sel ? `${sel.kind}${sel.layer}` : ''}
            onKeyDown={onKey}
            onFocus={() => active < 0 && cells.length && setActive(0)}
            onMouseOver={(e) => {
              const i = Number((e.target as HTMLElement).dataset?.i);
              if (Number.isInteger(i) && i !== active) setActive(i);
            }}
          >
            <TokenText cells={cells} active={active} id={id} />
          </div>
          <div className="legend-row">
            {domain && <TokenScale domain={domain} />}
            <span className="readout token-readout" aria-live="polite" data-testid="token-readout">
              {activeCell ? (
                tokenLabel(activeCell)
              ) : (
                <TouchText
                  mouse="Hover a token, or focus the text and use the arrow keys, for its value."
                  touch="Tap a token for its value."
                />
              )}
            </span>
          </div>
        </>
      )}
    </ChartFrame>
  );
}
