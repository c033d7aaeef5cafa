/**
 * The per-token view: how much one sublayer changes each token of window 0 (EngineApi.tokenDelta:
 * 1 - cos(input, output) per position, with the current drops applied before it). Store slice and pure
 * helpers; the engine calls are in src/state/lab-controller.ts.
 */
import type { DropConfig, TokenDelta } from '../engine/api';
import { dropKey } from './drops';

export interface TokenSublayer {
  kind: 'attn' | 'mlp';
  layer: number;
}

export interface TokenViewSlice {
  tokenView: {
    /** The sublayer shown (null: none chosen yet; the view picks the least important attention layer). */
    selected: TokenSublayer | null;
    /** A click on (or keyboard focus of) a heatmap cell selects that sublayer here. */
    follow: boolean;
    scale: 'linear' | 'log';
    /** Results context (model load, text, windows) the results belong to. */
    context: string;
    results: Record<string, TokenDelta>;
    /** The key being computed. */
    pending: string | null;
    error: string | null;
  };
  selectTokenSublayer(sel: TokenSublayer): void;
  setTokenFollow(follow: boolean): void;
  setTokenScale(scale: 'linear' | 'log'): void;
  putTokenDelta(context: string, key: string, r: TokenDelta): void;
  setTokenPending(key: string | null): void;
  setTokenError(error: string | null): void;
}

type SetState<S> = (partial: Partial<S> | ((s: S) => Partial<S>)) => void;

export function createTokenViewSlice<S extends TokenViewSlice>(set: SetState<S>): TokenViewSlice {
  const patch = (f: (t: TokenViewSlice['tokenView']) => Partial<TokenViewSlice['tokenView']>) =>
    set((s) => ({ tokenView: { ...s.tokenView, ...f(s.tokenView) } }) as Partial<S>);
  return {
    tokenView: { selected: null, follow: true, scale: 'log', context: '', results: {}, pending: null, error: null },
    selectTokenSublayer: (selected) => patch(() => ({ selected, error: null })),
    setTokenFollow: (follow) => patch(() => ({ follow })),
    setTokenScale: (scale) => patch(() => ({ scale })),
    putTokenDelta: (context, key, r) =>
      patch((t) => {
        // Keep a bounded cache: a long session of toggles must not grow it without end.
        const kept = t.context === context ? Object.entries(t.results).slice(-63) : [];
        return { context, results: { ...Object.fromEntries(kept), [key]: r }, error: null };
      }),
    setTokenPending: (pending) => patch(() => ({ pending })),
    setTokenError: (error) => patch(() => ({ error })),
  };
}

/** Cache key of a per-token result: context, drops, sublayer. */
export function tokenKey(context: string, drop: DropConfig, sel: TokenSublayer): string {
  return `${context}#${dropKey(drop)}#${sel.kind}${sel.layer}`;
}

/** How a token's text is shown: whitespace and control characters made visible, nothing interpreted. */
export interface TokenCell {
  index: number;
  /** The token as decoded (exact). */
  text: string;
  /** What is drawn (visible whitespace; empty for a byte that completes no character); plain text, never markup. */
  shown: string;
  /** Ends a line in the text (the token holds a newline). */
  newline: boolean;
  value: number;
  /** Position on the colour scale, 0..1. */
  t: number;
}

export function visibleToken(text: string): { shown: string; newline: boolean } {
  let shown = '';
  let newline = false;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\n') {
      shown += '↵';
      newline = true;
    } else if (ch === '\r') shown += '␍';
    else if (ch === '\t') shown += '⇥';
    else if (c < 0x20)
      shown += String.fromCodePoint(0x2400 + c); // ␀..␟
    else if (c === 0x7f) shown += '␡';
    else shown += ch;
  }
  return { shown, newline };
}

export interface TokenDomain {
  min: number;
  max: number;
  log: boolean;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

/**
 * The colour domain. The first positions of a window often change far more than the rest (position 0
 * attends only to itself), so the top is the 99th percentile (larger values saturate) and, on the log
 * scale, the bottom the 2nd percentile of the positive values, at least top / 10^4.
 */
export function tokenDomain(values: readonly number[], scale: 'linear' | 'log'): TokenDomain {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return { min: 0, max: 1, log: false };
  const top = quantile(finite, 0.99);
  const positive = finite.filter((v) => v > 0);
  if (scale === 'log' && positive.length > 0 && top > 0) {
    const lo = Math.max(quantile(positive, 0.02), top / 1e4);
    if (top > lo) return { min: lo, max: top, log: true };
  }
  const min = Math.min(0, finite[0]);
  return { min, max: top > min ? top : min + 1, log: false };
}

export function tokenT(v: number, d: TokenDomain): number {
  if (!Number.isFinite(v)) return 0;
  const t = d.log
    ? v <= 0
      ? 0
      : (Math.log(v) - Math.log(d.min)) / (Math.log(d.max) - Math.log(d.min))
    : (v - d.min) / (d.max - d.min);
  return Math.min(1, Math.max(0, t));
}

export function tokenCells(r: TokenDelta, d: TokenDomain): TokenCell[] {
  return r.tokens.map((text, index) => {
    const { shown, newline } = visibleToken(text);
    const value = r.delta[index] ?? Number.NaN;
    return { index, text, shown, newline, value, t: tokenT(value, d) };
  });
}

export interface TokenSummary {
  mean: number;
  max: number;
  argmax: number;
  count: number;
}

export function tokenSummary(r: TokenDelta): TokenSummary {
  let sum = 0;
  let n = 0;
  let max = Number.NEGATIVE_INFINITY;
  let argmax = -1;
  r.delta.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    sum += v;
    n++;
    if (v > max) {
      max = v;
      argmax = i;
    }
  });
  return { mean: n ? sum / n : Number.NaN, max: n ? max : Number.NaN, argmax, count: n };
}
