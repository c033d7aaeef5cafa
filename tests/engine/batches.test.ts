/**
 * Window batches (batches.ts) and the progressive estimates (nll-estimate.ts) on hand-made sums: the
 * batch sizes of each schedule, bad settings refused, and the paired estimate equal to the final mean
 * NLL once every window is done.
 */
import { describe, expect, it } from 'vitest';
import { windowBatches } from '../../src/engine/batches';
import { dropDistance, nllEstimate, pairedNllEstimate } from '../../src/engine/nll-estimate';
import type { NllSum } from '../../src/engine/pipeline';
import { mulberry32 } from '../fixtures/tiny-models';

describe('windowBatches', () => {
  it('cuts the windows per schedule', () => {
    expect(windowBatches(8, 8, 'uniform')).toEqual([8]);
    expect(windowBatches(20, 8, 'uniform')).toEqual([8, 8, 4]);
    expect(windowBatches(8, 8, 'first-one')).toEqual([1, 7]);
    expect(windowBatches(16, 8, 'first-one')).toEqual([1, 8, 7]);
    expect(windowBatches(1, 8, 'first-one')).toEqual([1]);
    expect(windowBatches(8, 8, 'doubling')).toEqual([1, 2, 5]);
    expect(windowBatches(16, 8, 'doubling')).toEqual([1, 2, 4, 8, 1]);
    expect(windowBatches(6, 2, 'doubling')).toEqual([1, 2, 2, 1]);
    expect(windowBatches(0, 8, 'first-one')).toEqual([]);
  });

  it('refuses bad settings with the value named', () => {
    expect(() => windowBatches(8, 0, 'uniform')).toThrow(/windows per batch .* not 0/);
    expect(() => windowBatches(2.5, 8, 'uniform')).toThrow(/windows must be .* not 2.5/);
    expect(() => windowBatches(8, 8, 'halving' as never)).toThrow(/unknown batch schedule 'halving'/);
  });
});

/** Sums for `perWindow` (T - 1 = 4 predicted tokens a window). */
function sums(perWindowMeans: number[]): NllSum {
  const perWindow = Float64Array.from(perWindowMeans, (m) => m * 4);
  return {
    sum: perWindow.reduce((a, b) => a + b, 0),
    count: 4 * perWindowMeans.length,
    perWindow,
    tokens: new Float32Array(4 * perWindowMeans.length),
  };
}

describe('progressive estimates', () => {
  const r = mulberry32(7);
  const base = Array.from({ length: 8 }, () => 3 + r());
  const cur = base.map((b) => b + 0.2 + 0.01 * r());
  const nothing = { attn: [], mlp: [] };

  it('paired: the reference over all windows plus the mean change; equal to the mean NLL when all are done', () => {
    const ref = sums(base);
    const all = pairedNllEstimate(sums(cur), 8, 8, ref, nothing);
    expect(Math.abs(all.meanNll - cur.reduce((a, b) => a + b, 0) / 8)).toBeLessThan(1e-12);
    const three = pairedNllEstimate(sums(cur), 3, 8, ref, nothing);
    const change = [0, 1, 2].reduce((a, w) => a + cur[w] - base[w], 0) / 3;
    expect(three.meanNll).toBeCloseTo(base.reduce((a, b) => a + b, 0) / 8 + change, 12);
    expect(three.pairedWith).toEqual(nothing);
    // The changes spread far less than the NLLs themselves.
    expect(three.se).toBeLessThan(nllEstimate(sums(cur), 3, 8).se / 10);
    expect(pairedNllEstimate(sums(cur), 1, 8, ref, nothing).se).toBeNaN();
    expect(() => pairedNllEstimate(sums(cur), 3, 8, sums(base.slice(0, 4)), nothing)).toThrow(/4 windows/);
  });

  it('dropDistance counts the sublayers in one configuration only', () => {
    expect(dropDistance({ attn: [1, 2], mlp: [] }, { attn: [2], mlp: [3] })).toBe(2);
    expect(dropDistance(nothing, nothing)).toBe(0);
  });
});
