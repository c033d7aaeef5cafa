import { describe, expect, it } from 'vitest';
import {
  applyRope,
  argmaxRow,
  erf,
  geluErf,
  geluTanh,
  layerNorm,
  linear,
  logSumExp,
  rmsNorm,
  ropeInvFreq,
  ropePosition,
  silu,
} from './ops64';
import { mulberry32 } from '../support/prng';

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('erf and activations', () => {
  it('erf matches tabulated values to 1e-15', () => {
    // Reference values (Abramowitz & Stegun table 7.1 / mpmath to 17 digits).
    const table: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [5, 0.9999999999984626],
    ];
    for (const [x, v] of table) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(1e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(1 - erf(3)).toBeCloseTo(2.209049699858544e-5, 15); // erfc(3)
    expect(erf(6.5)).toBe(1);
    expect(erf(-40)).toBe(-1);
  });

  it('erf is monotone across the series cutoff', () => {
    let prev = -1;
    for (let x = -7; x <= 7; x += 0.01) {
      const v = erf(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });

  it('gelu exact and silu on known points', () => {
    expect(geluErf(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(geluErf(-1)).toBeCloseTo(-0.15865525393145707, 15);
    expect(geluErf(0)).toBe(0);
    expect(silu(1)).toBeCloseTo(0.7310585786300049, 15);
    expect(silu(0)).toBe(0);
    expect(silu(-1000)).toBeCloseTo(0, 15);
  });

  it('gelu_tanh approximates gelu within 1e-3 but is a different function', () => {
    let maxDiff = 0;
    for (let x = -6; x <= 6; x += 0.01) maxDiff = Math.max(maxDiff, Math.abs(geluTanh(x) - geluErf(x)));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(maxDiff).toBeGreaterThan(1e-5);
    // gelu_tanh closed form at 1: 0.5 * (1 + tanh(sqrt(2/pi) * 1.044715))
    expect(geluTanh(1)).toBeCloseTo(0.5 * (1 + Math.tanh(0.7978845608028654 * 1.044715)), 15);
  });
});

describe('linear and norms', () => {
  it('linear uses the [out, in] layout and adds the bias', () => {
    // W = [[1, 2, 3], [4, 5, 6]]; x = [1, 0, -1] -> [-2, -2] + b
    const y = linear(Float64Array.of(1, 0, -1), 1, 3, Float64Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(10, 20), 2);
    expect([...y]).toEqual([8, 18]);
  });

  it('RMSNorm closed form', () => {
    // x = [3, 4]: mean(x^2) = 12.5 -> y = x / sqrt(12.5) * w
    const y = rmsNorm(Float64Array.of(3, 4, 0, 2), 2, 2, Float64Array.of(1, 2), 0);
    expect(y[0]).toBeCloseTo(3 / Math.sqrt(12.5), 15);
    expect(y[1]).toBeCloseTo((2 * 4) / Math.sqrt(12.5), 15);
    // second row [0, 2]: mean(x^2) = 2 -> [0, 2 * 2/sqrt(2)]
    expect(y[2]).toBe(0);
    expect(y[3]).toBeCloseTo(2 * Math.SQRT2, 15);
    // eps enters under the root: x = [1, 1], eps = 3 -> 1 / sqrt(1 + 3) = 0.5
    expect([...rmsNorm(Float64Array.of(1, 1), 1, 2, Float64Array.of(1, 1), 3)]).toEqual([0.5, 0.5]);
  });

  it('LayerNorm closed form with biased variance, weight and bias', () => {
    // x = [1, 2, 3, 4]: mean 2.5, biased var 1.25
    const w = Float64Array.of(1, 2, 1, 1);
    const b = Float64Array.of(0, 0, 1, 0);
    const y = layerNorm(Float64Array.of(1, 2, 3, 4), 1, 4, w, b, 0);
    const s = Math.sqrt(1.25);
    expect(y[0]).toBeCloseTo(-1.5 / s, 15);
    expect(y[1]).toBeCloseTo((2 * -0.5) / s, 15);
    expect(y[2]).toBeCloseTo(0.5 / s + 1, 15);
    expect(y[3]).toBeCloseTo(1.5 / s, 15);
    // eps: x = [0, 2] (var 1), eps 3 -> (x - 1) / 2
    expect([...layerNorm(Float64Array.of(0, 2), 1, 2, Float64Array.of(1, 1), null, 3)]).toEqual([-0.5, 0.5]);
  });
});

describe('rotary embedding', () => {
  it('inv_freq = theta^(-2i/hd)', () => {
    const f = ropeInvFreq(8, 10000, null);
    expect(f[0]).toBe(1);
    expect(f[1]).toBeCloseTo(0.1, 15);
    expect(f[2]).toBeCloseTo(0.01, 15);
    expect(f[3]).toBeCloseTo(0.001, 15);
  });

  it('llama3 scaling on a hand-computed example', () => {
    // hd 8, theta 1e4: inv_freq [1, 0.1, 0.01, 0.001], wavelen 2pi/f = [6.28, 62.8, 628.3, 6283.2].
    // oldCtx 1024, low 1, high 4, factor 8: lowWl = 1024, highWl = 256.
    //   6.28, 62.8 < 256    -> unchanged
    //   628.3 in [256,1024] -> s = (1024/628.31853 - 1)/3 = 0.20991554; (1-s)*0.01/8 + s*0.01 = 0.0030867610
    //   6283 > 1024         -> 0.001 / 8 = 0.000125
    const f = ropeInvFreq(8, 10000, {
      type: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 1024,
    });
    expect(f[0]).toBe(1);
    expect(f[1]).toBeCloseTo(0.1, 15);
    expect(f[2]).toBeCloseTo(0.003086761, 9);
    expect(f[3]).toBeCloseTo(0.000125, 15);
  });

  it('llama3 boundary: wavelen exactly at low_freq_wavelen is interpolated with s = 0 (= f / factor)', () => {
    // hd 2: inv_freq [1], wavelen 2pi; set oldCtx = 2pi, low = 1 -> lowWl = 2pi
    const f = ropeInvFreq(2, 10000, {
      type: 'llama3',
      factor: 4,
      lowFreqFactor: 1,
      highFreqFactor: 2,
      originalMaxPositions: 2 * Math.PI,
    });
    expect(f[0]).toBeCloseTo(0.25, 12);
  });

  it('linear scaling divides the position', () => {
    expect(ropePosition(6, { type: 'linear', factor: 4 })).toBe(1.5);
    expect(ropePosition(6, null)).toBe(6);
  });

  it('uses the rotate_half (split halves) convention', () => {
    // hd 4, inv_freq [1, 0.01]; q = e_0 at position p -> [cos p, 0, sin p, 0]
    const f = ropeInvFreq(4, 10000, null);
    const q = Float64Array.of(1, 0, 0, 0);
    applyRope(q, 0, 4, f, 0.7);
    expect(q[0]).toBeCloseTo(Math.cos(0.7), 15);
    expect(q[1]).toBe(0);
    expect(q[2]).toBeCloseTo(Math.sin(0.7), 15);
    expect(q[3]).toBe(0);
    // q = e_2 -> [-sin p, 0, cos p, 0]
    const r = Float64Array.of(0, 0, 1, 0);
    applyRope(r, 0, 4, f, 0.7);
    expect(r[0]).toBeCloseTo(-Math.sin(0.7), 15);
    expect(r[2]).toBeCloseTo(Math.cos(0.7), 15);
  });

  it('is the identity at position 0, preserves norms, and q_m.k_n depends only on m - n', () => {
    const rnd = mulberry32(3);
    const hd = 8;
    const f = ropeInvFreq(hd, 500, null);
    const q = Float64Array.from({ length: hd }, () => rnd() - 0.5);
    const k = Float64Array.from({ length: hd }, () => rnd() - 0.5);
    const at = (v: Float64Array, p: number) => {
      const c = v.slice();
      applyRope(c, 0, hd, f, p);
      return c;
    };
    expect([...at(q, 0)]).toEqual([...q]);
    for (const p of [1, 5, 37]) expect(Math.sqrt(dot(at(q, p), at(q, p)))).toBeCloseTo(Math.sqrt(dot(q, q)), 14);
    const d52 = dot(at(q, 5), at(k, 2));
    expect(dot(at(q, 13), at(k, 10))).toBeCloseTo(d52, 13);
    expect(dot(at(q, 3), at(k, 0))).toBeCloseTo(d52, 13);
    expect(Math.abs(dot(at(q, 5), at(k, 3)) - d52)).toBeGreaterThan(1e-6);
  });
});

describe('reductions', () => {
  it('logSumExp is stable and argmax takes the first maximum', () => {
    const x = Float64Array.of(1000, 1000, 999);
    expect(logSumExp(x, 0, 3)).toBeCloseTo(1000 + Math.log(2 + Math.exp(-1)), 10);
    expect(argmaxRow(Float64Array.of(0, 3, 1, 3), 0, 4)).toBe(1);
    expect(argmaxRow(Float64Array.of(9, 0, 3, 1, 3), 1, 4)).toBe(1);
  });
});
