import { describe, expect, it } from 'vitest';
import { forward64, loadReference } from './forward64';
import {
  analyze64,
  angular64,
  cosine,
  dropOne64,
  evaluate64,
  importance64,
  meanNll64,
  perplexity64,
  similarity64,
  splitWindows,
  type WindowStates,
} from './metrics64';
import { constParam, randomIds, randomWeights, tinySpec } from './tiny64';

const none = { attn: [], mlp: [] };

/** Hand-made states for one layer (L = 1): boundaries b0, b1, b2 given per token, d = 2. */
function states1(b: number[][][], io?: { attn: number[][][]; mlp: number[][][] }): WindowStates {
  const T = b[0].length;
  const flat = (rows: number[][]) => Float64Array.from(rows.flat());
  return {
    T,
    d: b[0][0].length,
    nll: new Float64Array(T - 1),
    boundaries: b.map(flat),
    attn: [io ? { input: flat(io.attn[0]), output: flat(io.attn[1]) } : null],
    mlp: [io ? { input: flat(io.mlp[0]), output: flat(io.mlp[1]) } : null],
  };
}

describe('cosine', () => {
  it('follows a.b / max(|a||b|, 1e-12)', () => {
    expect(cosine([1, 0], 0, [0, 3], 0, 2)).toBe(0);
    expect(cosine([2, 2], 0, [1, 1], 0, 2)).toBeCloseTo(1, 15);
    expect(cosine([1, 2], 0, [-1, -2], 0, 2)).toBeCloseTo(-1, 15);
    expect(cosine([0, 0], 0, [1, 1], 0, 2)).toBe(0);
    expect(cosine([9, 3, 4], 1, [0, 4, 3], 1, 2)).toBeCloseTo(24 / 25, 15);
    // tiny vectors: |a||b| = 1e-14 < 1e-12 -> a.b / 1e-12 = 1e-2
    expect(cosine([1e-7, 0], 0, [1e-7, 0], 0, 2)).toBeCloseTo(1e-2, 15);
  });
});

describe('importance on constructed states', () => {
  const e1 = [1, 0];
  const e2 = [0, 1];
  const s = states1([[e1], [e2], [e2]], { attn: [[e1], [e1]], mlp: [[e1], [e2]] });

  it('orthogonal -> 1, identical -> 0, block across both sublayers', () => {
    const imp = importance64([s], none);
    expect(imp.attn).toEqual([1]); // cos(e1, e2) = 0
    expect(imp.mlp[0]).toBeCloseTo(0, 15); // cos(e2, e2) = 1
    expect(imp.block).toEqual([1]); // cos(e1, e2)
    expect(imp.attnNoNorm[0]).toBeCloseTo(0, 15); // cos(N(x), F(N(x))) = cos(e1, e1)
    expect(imp.mlpNoNorm).toEqual([1]); // cos(e1, e2)
  });

  it('means run over every token of every window', () => {
    // window A: 2 tokens with attn cos 1 and 0; window B: 2 tokens with cos -1 and 1 -> mean (1+0-1+1)/4
    const a = states1([
      [e1, e1],
      [e1, e2],
      [e1, e2],
    ]);
    const b = states1([
      [e1, e2],
      [[-1, 0], e2],
      [[-1, 0], e2],
    ]);
    const io = (s: WindowStates): WindowStates => ({
      ...s,
      attn: [{ input: s.boundaries[0], output: s.boundaries[1] }],
    });
    const imp = importance64([io(a), io(b)], { attn: [], mlp: [0] });
    expect(imp.attn[0]).toBeCloseTo(1 - 0.25, 15);
    expect(imp.attnNoNorm[0]).toBeCloseTo(1 - 0.25, 15);
    expect(imp.mlp[0]).toBeNaN();
  });

  it('NaN for dropped sublayers; block NaN only when both are dropped', () => {
    const t = states1([[e1], [e1], [e2]]);
    const a = importance64([{ ...t, mlp: [{ input: Float64Array.of(1, 0), output: Float64Array.of(1, 1) }] }], {
      attn: [0],
      mlp: [],
    });
    expect(a.attn[0]).toBeNaN();
    expect(a.attnNoNorm[0]).toBeNaN();
    expect(a.block[0]).toBe(1);
    expect(a.mlpNoNorm[0]).toBeCloseTo(1 - Math.SQRT1_2, 15);
    const b = importance64([states1([[e1], [e1], [e1]])], { attn: [0], mlp: [0] });
    expect(b.block[0]).toBeNaN();
  });
});

describe('similarity and angular distance', () => {
  it('S is symmetric with unit diagonal and the mean cosines off it', () => {
    const s = states1([
      [
        [1, 0],
        [1, 0],
      ],
      [
        [1, 1],
        [0, 1],
      ],
      [
        [0, 1],
        [0, 1],
      ],
    ]);
    const S = similarity64([s]);
    expect(S.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(S[i][i]).toBeCloseTo(1, 15);
      for (let j = 0; j < 3; j++) expect(S[i][j]).toBe(S[j][i]);
    }
    expect(S[0][1]).toBeCloseTo((Math.SQRT1_2 + 0) / 2, 15);
    expect(S[0][2]).toBeCloseTo(0, 15);
    expect(S[1][2]).toBeCloseTo((Math.SQRT1_2 + 1) / 2, 15);
  });

  it('angular distance uses only the last token, averages over windows, NaN past L', () => {
    // L = 2 -> boundaries b0..b4; x_0 = b0, x_1 = b2, x_2 = b4. Token 0 is noise that must not matter.
    const mk = (x0: number[], x1: number[], x2: number[]): WindowStates => {
      const b = [x0, x0, x1, x1, x2].map((v) => Float64Array.of(5, -3, ...v));
      return { T: 2, d: 2, nll: new Float64Array(1), boundaries: b, attn: [null, null], mlp: [null, null] };
    };
    const w1 = mk([1, 0], [0, 1], [-1, 0]);
    const w2 = mk([1, 0], [1, 0], [1, 1]);
    const A = angular64([w1, w2]);
    expect(A.length).toBe(2);
    expect(A[0][0]).toBeCloseTo((0.5 + 0) / 2, 15); // x0 -> x1: 90 deg, 0 deg
    expect(A[0][1]).toBeCloseTo((1 + 0.25) / 2, 15); // x0 -> x2: 180 deg, 45 deg
    expect(A[1][0]).toBeCloseTo((0.5 + 0.25) / 2, 15); // x1 -> x2: 90 deg, 45 deg
    expect(A[1][1]).toBeNaN();
  });
});

describe('NLL, perplexity and evaluation on real tiny models', () => {
  const spec = tinySpec({ numLayers: 2 });

  it('a model with a zero lm head is uniform: perplexity = vocab size', () => {
    const w = { ...randomWeights(spec, 3), lmHead: constParam([11, 8], 0) };
    const model = loadReference(spec, w);
    const windows = [randomIds(6, 11, 1), randomIds(6, 11, 2)];
    const res = windows.map((ids) => forward64(model, ids, none));
    expect(perplexity64(res)).toBeCloseTo(11, 12);
    expect(evaluate64(model, windows, none)).toMatchObject({ tokens: 10, seqLen: 6, windows: 2 });
  });

  it('mean NLL weights every predicted token equally and skips position 0', () => {
    const states = [{ nll: Float64Array.of(1, 2, 3) }, { nll: Float64Array.of(6, 0, 0) }];
    expect(meanNll64(states)).toBe(2);
    expect(perplexity64(states)).toBeCloseTo(Math.exp(2), 14);
  });

  it('analyze64 and dropOne64 agree with direct forward passes', () => {
    const w = randomWeights(spec, 4);
    const model = loadReference(spec, w);
    const flat = randomIds(21, 11, 3);
    const windows = splitWindows(flat, 7);
    expect(windows.length).toBe(3);
    const base = { attn: [1], mlp: [] };
    const a = analyze64(model, windows, base);
    expect(a.similarity.length).toBe(5);
    expect(a.angular.length).toBe(2);
    expect(a.importance.attn[1]).toBeNaN();
    expect(a.importance.attn[0]).toBeGreaterThan(0);
    const baseNll = meanNll64(windows.map((ids) => forward64(model, ids, base)));
    expect(a.eval.meanNll).toBe(baseNll);
    const d1 = dropOne64(model, windows, base);
    expect(d1.baseNll).toBe(baseNll);
    expect(d1.attn[1]).toBeNull();
    const withMlp0 = meanNll64(windows.map((ids) => forward64(model, ids, { attn: [1], mlp: [0] })));
    expect(d1.mlp[0]).toBeCloseTo(withMlp0 - baseNll, 14);
    const withAttn0 = meanNll64(windows.map((ids) => forward64(model, ids, { attn: [0, 1], mlp: [] })));
    expect(d1.attn[0]).toBeCloseTo(withAttn0 - baseNll, 14);
    expect(d1.mlp.every((x) => x !== null && Number.isFinite(x))).toBe(true);
  });
});
