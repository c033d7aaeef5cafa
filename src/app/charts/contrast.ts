/**
 * WCAG 2.x contrast (pure): relative luminance of an sRGB colour, the contrast ratio of two colours, and
 * the text colour (dark or light) that reads best on a background. Black and white text: whichever is
 * higher is at least 4.58:1 on any background, so every heatmap cell's text passes AA (4.5:1).
 */

export type Rgb = readonly [number, number, number];

export const DARK_TEXT = '#000000';
export const LIGHT_TEXT = '#ffffff';

function channel(c: number): number {
  const s = Math.min(255, Math.max(0, c)) / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance in [0, 1] of 0–255 sRGB channels. */
export function relativeLuminance([r, g, b]: Rgb): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The contrast ratio (1 to 21) of two colours. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const la = relativeLuminance(a);
  const lb = relativeLuminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** `#rgb` or `#rrggbb` as channels. */
export function parseHex(hex: string): Rgb {
  const h = hex.replace(/^#/, '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  if (!/^[0-9a-f]{6}$/i.test(full)) throw new Error(`not a hex colour: ${hex}`);
  return [
    Number.parseInt(full.slice(0, 2), 16),
    Number.parseInt(full.slice(2, 4), 16),
    Number.parseInt(full.slice(4, 6), 16),
  ];
}

/** Black or white, whichever has the higher contrast on `bg` (ties to black). */
export function textColorOn(bg: Rgb): typeof DARK_TEXT | typeof LIGHT_TEXT {
  return contrastRatio(bg, [0, 0, 0]) >= contrastRatio(bg, [255, 255, 255]) ? DARK_TEXT : LIGHT_TEXT;
}

/**
 * The two strokes of a focus ring that shows on any background: an outer dark ring and an inner light
 * one (each at least 3:1 against the other; one of them at least 3:1 against any colour).
 */
export const FOCUS_RING = { outer: '#000000', inner: '#ffffff' } as const;
