/**
 * AWQ's alpha search, its faster error evaluations and its sublayer objective, against float64
 * references:
 * - quadFormSum (four rows per pass over H) = the row-by-row quadratic forms, odd row counts included;
 * - awqSearch with the blocked and the loop evaluation: same alphas, errors equal to 1e-12;
 * - OrtQuadForms (every alpha in one float32 graph, onnxruntime-node): errors within 1e-4 of float64,
 *   the same alpha, and the same with alphas split into chunks;
 * - awqSublayerSearch on the bundled model's MLP of layer 2 (gate/up searched, judged on the MLP output):
 *   every alpha's error within 1e-3 of a float64 MLP in TypeScript with the same stand-in weights.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import { ortNode } from '../../../src/cli/ort-node';
import { AWQ_ALPHAS, awqScales, awqSearch, outputError, quadFormSum, rtnScaled } from '../../../src/engine/export/awq';
import { OrtQuadForms } from '../../../src/engine/export/awq-ort';
import { awqSublayerSearch } from '../../../src/engine/export/awq-sublayer';
import { type LoadedModel, loadModelFromFiles } from '../../../src/engine/model/load';
import { mulberry32 } from '../../../src/engine/random';

const rng = (seed: number) => {
  const r = mulberry32(seed);
  return () => {
    const u = Math.max(r(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
};

/** X [T, K] with a few loud channels, H = X^T X (float64), mean |x|. */
function problem(seed: number, T: number, K: number) {
  const g = rng(seed);
  const loud = new Set([3, 17, K - 5]);
  const X = Float64Array.from({ length: T * K }, (_, i) => g() * (loud.has(i % K) ? 8 : 1));
  const H = new Float64Array(K * K);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < K; i++) {
      const xi = X[t * K + i];
      for (let j = 0; j < K; j++) H[i * K + j] += xi * X[t * K + j];
    }
  const meanAbs = new Float64Array(K);
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) meanAbs[k] += Math.abs(X[t * K + k]) / T;
  return { X, H, meanAbs };
}

describe('AWQ error evaluation', () => {
  it('quadFormSum equals the row-by-row sum of d^T H d (M = 1..9)', () => {
    const K = 40;
    const { H } = problem(1, 60, K);
    const g = rng(2);
    for (let M = 1; M <= 9; M++) {
      const D = Float64Array.from({ length: M * K }, () => g());
      let ref = 0;
      for (let m = 0; m < M; m++)
        for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) ref += D[m * K + i] * H[i * K + j] * D[m * K + j];
      expect(Math.abs(quadFormSum(D, M, K, H) / ref - 1)).toBeLessThan(1e-12);
    }
  });

  it('blocked and loop evaluations choose the same alpha with the same errors', () => {
    const K = 96;
    const { H, meanAbs } = problem(3, 200, K);
    const g = rng(4);
    const linears = [40, 24, 13].map((N) => ({ W: Float32Array.from({ length: N * K }, () => g() * 0.05), N }));
    const a = awqSearch(linears, K, H, meanAbs, { block: 32, errorEval: 'blocked' });
    const b = awqSearch(linears, K, H, meanAbs, { block: 32, errorEval: 'loop' });
    expect(a.alpha).toBe(b.alpha);
    expect(a.alpha).toBeGreaterThan(0);
    for (let i = 0; i < a.errors.length; i++) expect(Math.abs(a.errors[i] / b.errors[i] - 1)).toBeLessThan(1e-12);
    // and the loop is outputError itself
    const s = awqScales(meanAbs, AWQ_ALPHAS[7]);
    let e = 0;
    for (const { W, N } of linears) e += outputError(W, N, K, 32, 4, rtnScaled(W, N, K, 32, 4, s), s, H);
    expect(Math.abs(b.errors[7] / e - 1)).toBeLessThan(1e-12);
  });

  it('the runtime evaluation (one float32 graph over all alphas) agrees with float64, also in chunks', async () => {
    const K = 64;
    const { H, meanAbs } = problem(5, 150, K);
    const g = rng(6);
    const linears = [32, 16].map((N) => ({ W: Float32Array.from({ length: N * K }, () => g() * 0.05), N }));
    const ref = awqSearch(linears, K, H, meanAbs, { block: 32 });
    for (const maxFloats of [1 << 25, 3 * 48 * K]) {
      const q = new OrtQuadForms(ortNode, ['cpu'], maxFloats);
      try {
        const r = await q.search(linears, K, H, meanAbs, { block: 32 });
        expect(r.errors).toHaveLength(AWQ_ALPHAS.length);
        for (let i = 0; i < r.errors.length; i++) expect(Math.abs(r.errors[i] / ref.errors[i] - 1)).toBeLessThan(1e-4);
        expect(r.alpha).toBe(ref.alpha);
        expect(Array.from(r.scales)).toEqual(Array.from(ref.scales));
      } finally {
        await q.release();
      }
    }
  });
});

describe('AWQ judged on the sublayer output', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModelFromFiles(folderFiles(join(__dirname, '../../../public/models/droplab-byte-12l')));
  });

  it('MLP of layer 2: every alpha’s output error = a float64 MLP with the same stand-in weights', async () => {
    const spec = model.spec;
    const w = model.weights.layers[2];
    const d = spec.hiddenSize;
    const I = spec.intermediateSize;
    const T = 24;
    const g = rng(7);
    const m = Float32Array.from({ length: 2 * T * d }, () => g()); // two windows [2, T, d]
    const nw = Float64Array.from(w.mlpNorm!.weight.load());
    const Wg = w.gate!.weight.load();
    const Wu = w.up.weight.load();
    const Wd = w.down.weight.load();
    // normed rows and the float64 MLP with given gate/up weights [I, d]
    const normed = new Float64Array(m.length);
    for (let t = 0; t < 2 * T; t++) {
      let ss = 0;
      for (let k = 0; k < d; k++) ss += m[t * d + k] ** 2;
      const r = 1 / Math.sqrt(ss / d + spec.normEps);
      for (let k = 0; k < d; k++) normed[t * d + k] = m[t * d + k] * r * nw[k];
    }
    const mlp64 = (G: ArrayLike<number>, U: ArrayLike<number>) => {
      const y = new Float64Array(2 * T * d);
      const h = new Float64Array(I);
      for (let t = 0; t < 2 * T; t++) {
        for (let i = 0; i < I; i++) {
          let a = 0;
          let b = 0;
          for (let k = 0; k < d; k++) {
            a += G[i * d + k] * normed[t * d + k];
            b += U[i * d + k] * normed[t * d + k];
          }
          h[i] = (a / (1 + Math.exp(-a))) * b;
        }
        for (let o = 0; o < d; o++) {
          let s = 0;
          for (let i = 0; i < I; i++) s += Wd[o * I + i] * h[i];
          y[t * d + o] = m[t * d + o] + s;
        }
      }
      return y;
    };
    const yRef = mlp64(Wg, Wu);
    const output = Float32Array.from(yRef);
    const meanAbs = new Float64Array(d);
    for (let t = 0; t < 2 * T; t++) for (let k = 0; k < d; k++) meanAbs[k] += Math.abs(normed[t * d + k]) / (2 * T);
    const alphas = [0, 0.25, 0.5, 0.75, 1];
    const res = await awqSublayerSearch({
      ort: ortNode,
      executionProviders: ['cpu'],
      spec,
      weights: w,
      layer: 2,
      kind: 'mlp',
      linears: [
        { role: 'gate', W: Wg, N: I },
        { role: 'up', W: Wu, N: I },
      ],
      K: d,
      meanAbs,
      input: m,
      output,
      seqLen: T,
      block: 32,
      batch: 1,
      alphas,
    });
    const standIn = (W: Float32Array, s: Float32Array) => {
      const q = rtnScaled(W, I, d, 32, 4, s);
      return Float64Array.from(
        { length: I * d },
        (_, i) => Math.fround((q.codes[i] - 8) * q.scales[Math.floor(i / 32)]) / s[i % d],
      );
    };
    alphas.forEach((alpha, a) => {
      const s = alpha === 0 ? new Float32Array(d).fill(1) : awqScales(meanAbs, alpha);
      const y = mlp64(standIn(Wg, s), standIn(Wu, s));
      let e = 0;
      for (let i = 0; i < y.length; i++) e += (y[i] - output[i]) ** 2;
      expect(Math.abs(res.errors[a] / e - 1), `alpha ${alpha}`).toBeLessThan(1e-3);
    });
    expect(res.errors[0]).toBeGreaterThan(0);
    expect(res.alpha).toBe(alphas[res.errors.indexOf(Math.min(...res.errors))]);
  });
});
