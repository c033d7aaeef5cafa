/**
 * The per-token view's colour scale (pure): white for "unchanged" through orange to deep red, so the
 * text stays readable on the pale end where most tokens sit. Monotone in lightness (readable in grey).
 */
const STOPS: [number, number, number][] = [
  [255, 255, 255],
  [255, 236, 204],
  [253, 199, 140],
  [249, 146, 85],
  [226, 80, 48],
  [170, 24, 36],
  [110, 8, 30],
];

export function tokenRgb(t: number): [number, number, number] {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const p = x * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(p));
  const f = p - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export function tokenColor(t: number): string {
  const [r, g, b] = tokenRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Dark text on light backgrounds, white on dark. */
export function tokenTextColor(t: number): string {
  const [r, g, b] = tokenRgb(t);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#1b1f24' : '#ffffff';
}
