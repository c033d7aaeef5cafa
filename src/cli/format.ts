/** Plain-text output helpers for the CLI: aligned tables, matrices, numbers. */

export type Align = 'left' | 'right';

/** An aligned table; numbers right-aligned by default, two spaces between columns. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const cols = header.length;
  const al = align ?? header.map((_, i) => (i === 0 ? 'left' : 'right'));
  const w = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    Array.from({ length: cols }, (_, c) => {
      const s = r[c] ?? '';
      return al[c] === 'left' ? s.padEnd(w[c]) : s.padStart(w[c]);
    })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A fixed-decimals number; NaN (a dropped sublayer) as '-'. */
export function fixed(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : Number.isNaN(x) ? '-' : String(x);
}

/** Thousands separators: 12,345. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Perplexity with sensible precision (3 significant decimals below 100). */
export function ppl(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x >= 1000 ? x.toFixed(0) : x >= 100 ? x.toFixed(1) : x.toFixed(3);
}

/** 1234567 -> "1.23M". */
export function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** A square matrix with row/column labels (NaN as '-'). */
export function matrix(labels: readonly string[], m: readonly (readonly number[])[], digits = 3): string {
  return table(
    ['', ...labels],
    m.map((row, i) => [labels[i], ...row.map((v) => fixed(v, digits))]),
  );
}

/** "attention 3, 5; MLP 7" / "nothing". */
export function describeDrop(drop: { attn: readonly number[]; mlp: readonly number[] }): string {
  const parts: string[] = [];
  if (drop.attn.length) parts.push(`attention ${drop.attn.join(', ')}`);
  if (drop.mlp.length) parts.push(`MLP ${drop.mlp.join(', ')}`);
  return parts.length ? parts.join('; ') : 'nothing';
}

/** The flags that reproduce a drop configuration: "--drop-attn 3,5 --drop-mlp 7". */
export function dropFlagsText(drop: { attn: readonly number[]; mlp: readonly number[] }): string {
  const parts: string[] = [];
  if (drop.attn.length) parts.push(`--drop-attn ${drop.attn.join(',')}`);
  if (drop.mlp.length) parts.push(`--drop-mlp ${drop.mlp.join(',')}`);
  return parts.join(' ');
}

/** Signed percentage change: "+12.3%". */
export function pctChange(x: number, base: number): string {
  const p = (100 * (x - base)) / base;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}
