/**
 * Colour scales for the heatmaps (pure). Sequential: viridis (perceptually uniform, readable in grey
 * and by most colour-blind readers). Values map linearly from a [min, max] domain.
 */
import { textColorOn } from './contrast';

// Viridis at 9 evenly spaced stops (matplotlib's _viridis_data).
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/** The colour at t in [0, 1] (clamped) as rgb(). */
export function viridis(t: number): string {
  const [r, g, b] = viridisRgb(t);
  return `rgb(${r}, ${g}, ${b})`;
}

export function viridisRgb(t: number): [number, number, number] {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const p = x * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(p));
  const f = p - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [Math.round(lerp(a[0], b[0], f)), Math.round(lerp(a[1], b[1], f)), Math.round(lerp(a[2], b[2], f))];
}

/** Black or white text on top of the colour at t, whichever has the higher WCAG contrast (always ≥ 4.5:1). */
export function textOn(t: number): string {
  return textColorOn(viridisRgb(t));
}

export interface Domain {
  min: number;
  max: number;
  /** Logarithmic mapping (only when min > 0). */
  log?: boolean;
}

/** The domain on a log scale when asked for and possible (every value positive), else linear. */
export function withScale(d: Domain, scale: 'linear' | 'log'): Domain {
  return { min: d.min, max: d.max, log: scale === 'log' && d.min > 0 && d.max > d.min };
}

/** The finite values' range; a flat or empty range is widened so that t is defined. */
export function domainOf(values: Iterable<number | null | undefined>, fixed: Partial<Domain> = {}): Domain {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (fixed.min !== undefined) min = fixed.min;
  if (fixed.max !== undefined) max = fixed.max;
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: 0, max: 1 };
  if (max - min < 1e-12)
    return { min: min - 0.5 * Math.max(Math.abs(min), 1e-6), max: max + 0.5 * Math.max(Math.abs(max), 1e-6) };
  return { min, max };
}

export function normalize(v: number, d: Domain): number {
  if (d.log) return v <= 0 ? 0 : (Math.log(v) - Math.log(d.min)) / (Math.log(d.max) - Math.log(d.min));
  return (v - d.min) / (d.max - d.min);
}

/** Evenly spaced tick values across the domain. */
export function ticks(d: Domain, n = 5): number[] {
  if (d.log) return Array.from({ length: n }, (_, i) => d.min * (d.max / d.min) ** (i / (n - 1)));
  return Array.from({ length: n }, (_, i) => d.min + ((d.max - d.min) * i) / (n - 1));
}
