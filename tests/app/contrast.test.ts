/** WCAG contrast helpers, the heatmap's text colour on every viridis colour, and the matrix grid's keys. */
import { describe, expect, it } from 'vitest';
import { textOn, viridisRgb } from '../../src/app/charts/color';
import {
  contrastRatio,
  DARK_TEXT,
  FOCUS_RING,
  LIGHT_TEXT,
  parseHex,
  relativeLuminance,
  textColorOn,
} from '../../src/app/charts/contrast';
import { gridMove } from '../../src/app/charts/MatrixHeatmap';
import { pointVerb, pressVerb } from '../../src/app/layout/media';

describe('WCAG contrast', () => {
  it('relative luminance and ratios match the WCAG definitions', () => {
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1, 12);
    // sRGB 128 grey: ((128/255 + 0.055) / 1.055)^2.4
    expect(relativeLuminance([128, 128, 128])).toBeCloseTo(0.2158605, 6);
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 10);
    expect(contrastRatio([255, 255, 255], [0, 0, 0])).toBeCloseTo(21, 10);
    expect(contrastRatio([59, 91, 219], [59, 91, 219])).toBe(1);
    // Known pair: #777 on white is 4.48:1 (just fails AA).
    expect(contrastRatio(parseHex('#777'), parseHex('#fff'))).toBeCloseTo(4.48, 2);
  });

  it('parses hex colours and refuses anything else', () => {
    expect(parseHex('#3b5bdb')).toEqual([59, 91, 219]);
    expect(parseHex('fff')).toEqual([255, 255, 255]);
    expect(() => parseHex('rgb(1,2,3)')).toThrow();
  });

  it('picks the text colour with the higher contrast', () => {
    expect(textColorOn([0, 0, 0])).toBe(LIGHT_TEXT);
    expect(textColorOn([255, 255, 255])).toBe(DARK_TEXT);
    // The teal (viridis around 0.5): white reached only 3.4:1 there; black passes.
    const teal = viridisRgb(0.5);
    expect(contrastRatio(teal, parseHex(textColorOn(teal)))).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(teal, [255, 255, 255])).toBeLessThan(4.5);
  });

  it('every heatmap cell colour gets text at 4.5:1 or more', () => {
    let worst = Number.POSITIVE_INFINITY;
    for (let i = 0; i <= 1000; i++) {
      const t = i / 1000;
      worst = Math.min(worst, contrastRatio(viridisRgb(t), parseHex(textOn(t))));
    }
    expect(worst).toBeGreaterThanOrEqual(4.5);
  });

  it('any background: the better of black and white is at least 4.58:1', () => {
    let worst = Number.POSITIVE_INFINITY;
    for (let g = 0; g <= 255; g += 5) {
      for (const rgb of [
        [g, g, g],
        [g, 0, 255 - g],
        [255, g, 0],
        [0, g, 128],
      ] as [number, number, number][]) {
        worst = Math.min(worst, contrastRatio(rgb, parseHex(textColorOn(rgb))));
      }
    }
    expect(worst).toBeGreaterThan(4.5);
  });

  it('the focus ring: its two strokes contrast with each other, and one of them with any colour by 3:1', () => {
    const outer = parseHex(FOCUS_RING.outer);
    const inner = parseHex(FOCUS_RING.inner);
    expect(contrastRatio(outer, inner)).toBeGreaterThanOrEqual(3);
    for (let i = 0; i <= 100; i++) {
      const c = viridisRgb(i / 100);
      expect(Math.max(contrastRatio(c, outer), contrastRatio(c, inner))).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('matrix grid keys', () => {
  it('moves by the arrow keys and stops at the edges', () => {
    expect(gridMove('ArrowRight', false, 0, 0, 13, 13)).toEqual({ r: 0, c: 1 });
    expect(gridMove('ArrowDown', false, 0, 0, 13, 13)).toEqual({ r: 1, c: 0 });
    expect(gridMove('ArrowLeft', false, 0, 0, 13, 13)).toEqual({ r: 0, c: 0 });
    expect(gridMove('ArrowUp', false, 0, 5, 13, 13)).toEqual({ r: 0, c: 5 });
    expect(gridMove('ArrowDown', false, 12, 3, 13, 13)).toEqual({ r: 12, c: 3 });
  });
  it('Home/End, Ctrl+Home/End, PageUp/PageDown; other keys do not move', () => {
    expect(gridMove('Home', false, 4, 7, 12, 10)).toEqual({ r: 4, c: 0 });
    expect(gridMove('End', false, 4, 7, 12, 10)).toEqual({ r: 4, c: 9 });
    expect(gridMove('Home', true, 4, 7, 12, 10)).toEqual({ r: 0, c: 0 });
    expect(gridMove('End', true, 4, 7, 12, 10)).toEqual({ r: 11, c: 9 });
    expect(gridMove('PageDown', false, 4, 7, 12, 10)).toEqual({ r: 6, c: 7 });
    expect(gridMove('PageUp', false, 1, 7, 12, 10)).toEqual({ r: 0, c: 7 });
    expect(gridMove('a', false, 1, 1, 12, 10)).toBeNull();
    expect(gridMove('ArrowDown', false, 0, 0, 0, 0)).toBeNull();
  });
});

describe('touch wording', () => {
  it('says tap on touch screens, hover and click with a mouse', () => {
    expect(pointVerb(true)).toBe('Tap');
    expect(pointVerb(false)).toBe('Hover');
    expect(pointVerb(true, false)).toBe('tap');
    expect(pressVerb(true)).toBe('tap');
    expect(pressVerb(false)).toBe('click');
  });
});
