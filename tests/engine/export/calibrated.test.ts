/**
 * The calibrated 4-bit export (issue 16): GPTQ and AWQ against the float64 references of
 * tests/reference/quant64.ts (same inputs -> the same codes and scales), the calibration statistics
 * against the float64 forward pass, and the bad inputs refused with their reason. The exported graphs
 * and the bundled-model perplexity are in calibrated-bundled.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { awqQuantize, awqSearch, awqWeightMean } from '../../../src/engine/export/awq';
import { calibrate } from '../../../src/engine/export/calibrate';
import { checkQuantOptions, planQ4, type QuantOptions, splitCalibration } from '../../../src/engine/export/calibrated';
import { gptqQuantize } from '../../../src/engine/export/gptq';
import { dequantizeBlockwise, quantizeBlockwise } from '../../../src/engine/export/quant';
import { CancelledError, ExportError, TextTooShortError } from '../../../src/engine/errors';
import type { ModelSpec } from '../../../src/engine/model/spec';
import { forward64 } from '../../reference/forward64';
import { awq64, dequant64, gptq64, outputError64, rtn64 } from '../../reference/quant64';
import { RUNTIMES } from '../../support/runtimes';
import { folderFiles } from '../../../src/cli/node-files';
import { loadModelFromFiles } from '../../../src/engine/model/load';
import { join } from 'node:path';

/** Deterministic uniform [0, 1). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** Inputs X [T, K] with a few outlier channels (what makes activation-aware methods matter), W [N, K]. */
function problem(seed: number, T: number, K: number, N: number) {
  const r = rng(seed);
  const big = new Set([3, 17, K - 5]);
  const X = Float64Array.from({ length: T * K }, (_, i) => gauss(r) * (big.has(i % K) ? 12 : 1));
  // X rounded to float32, as the runtime sees it; H = X^T X in float64
  for (let i = 0; i < X.length; i++) X[i] = Math.fround(X[i]);
  const H = new Float64Array(K * K);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) H[i * K + j] += X[t * K + i] * X[t * K + j];
  const W = Float32Array.from({ length: N * K }, () => gauss(r) * 0.05);
  return { X, H, W };
}

const codesOf = (q: { packed: Uint8Array; scales: Float32Array; N: number; K: number; block: number }) => {
  const w = dequantizeBlockwise({ ...q, bits: 4, blocks: q.K / q.block });
  return w;
};

describe('GPTQ = its float64 reference', () => {
  for (const [K, block, actOrder] of [
    [256, 32, false],
    [256, 128, false],
    [256, 64, true],
  ] as const) {
    it(`K ${K}, block ${block}${actOrder ? ', act-order' : ''}: same codes and scales; less output error than RTN`, () => {
      const N = 12;
      const T = 400;
      const { X, H, W } = problem(K + block, T, K, N);
      const mine = gptqQuantize(W, N, K, H, { block, actOrder });
      const ref = gptq64(W, N, K, H, block, actOrder);
      expect(Array.from(mine.scales)).toEqual(Array.from(ref.scales));
      const deq = codesOf(mine);
      const refDeq = dequant64(ref, N, K, block);
      let diff = 0;
      for (let i = 0; i < deq.length; i++) diff = Math.max(diff, Math.abs(deq[i] - Math.fround(refDeq[i])));
      expect(diff).toBe(0);
      // and it does what it is for: less output error on the calibration inputs than RTN
      const rtn = dequant64(rtn64(W, N, K, block), N, K, block);
      const eG = outputError64(X, T, K, W, Float64Array.from(deq), N);
      const eR = outputError64(X, T, K, W, rtn, N);
      expect(eG).toBeLessThan(0.8 * eR);
    });
  }

  it('RTN through the same packer is the export RTN byte for byte', () => {
    const { W } = problem(7, 4, 128, 6);
    const q = quantizeBlockwise(W, 6, 128, 4, 32);
    const ref = rtn64(W, 6, 128, 32);
    expect(Array.from(q.scales)).toEqual(Array.from(ref.scales));
    expect(Array.from(dequantizeBlockwise(q))).toEqual(Array.from(dequant64(ref, 6, 128, 32), Math.fround));
  });
});

describe('AWQ = its float64 reference on explicit inputs', () => {
  it('q/k/v-like group sharing one input: same alpha, same s, same codes; never worse than RTN', () => {
    const K = 128;
    const T = 300;
    const { X, H } = problem(11, T, K, 1);
    const r = rng(5);
    const linears = [24, 16, 16].map((N) => ({ W: Float32Array.from({ length: N * K }, () => gauss(r) * 0.05), N }));
    const meanAbs = new Float64Array(K);
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) meanAbs[k] += Math.abs(X[t * K + k]);
    for (let k = 0; k < K; k++) meanAbs[k] /= T;
    const mine = awqSearch(linears, K, H, meanAbs, { block: 32 });
    const ref = awq64(X, T, K, linears, 32);
    expect(mine.alpha).toBe(ref.alpha);
    expect(mine.alpha).toBeGreaterThan(0); // the outlier channels make scaling pay
    expect(Array.from(mine.scales)).toEqual(Array.from(ref.s));
    for (let a = 0; a < ref.errors.length; a++) expect(Math.abs(mine.errors[a] / ref.errors[a] - 1)).toBeLessThan(1e-9);
    expect(Math.min(...mine.errors)).toBeLessThanOrEqual(mine.errors[0]); // alpha 0 = RTN
    for (const { W, N } of linears) {
      const q = awqQuantize(W, N, K, { block: 32, colScale: mine.scales });
      const ws = Float32Array.from(W, (v, i) => v * ref.s[i % K]);
      const rq = rtn64(ws, N, K, 32);
      expect(Array.from(q.scales)).toEqual(Array.from(rq.scales));
      expect(Array.from(dequantizeBlockwise(q))).toEqual(Array.from(dequant64(rq, N, K, 32), Math.fround));
    }
  });

  it('duo scaling (s = mean|x|^a / mean|w|^(1-a)): same alpha, same s, same errors as the reference', () => {
    const K = 128;
    const T = 300;
    const { X, H } = problem(13, T, K, 1);
    const r = rng(9);
    // columns of very different weight magnitude, so mean|w| matters
    const linears = [24, 16].map((N) => ({
      W: Float32Array.from({ length: N * K }, (_, i) => gauss(r) * 0.05 * (1 + (i % K) / 16)),
      N,
    }));
    const meanAbs = new Float64Array(K);
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) meanAbs[k] += Math.abs(X[t * K + k]) / T;
    const wMean = awqWeightMean(linears, K, 32);
    const mine = awqSearch(linears, K, H, meanAbs, { block: 32, wMean });
    const ref = awq64(X, T, K, linears, 32, true);
    expect(mine.alpha).toBe(ref.alpha);
    expect(mine.alpha).toBeGreaterThan(0);
    expect(Array.from(mine.scales)).toEqual(Array.from(ref.s));
    for (let a = 0; a < ref.errors.length; a++) expect(Math.abs(mine.errors[a] / ref.errors[a] - 1)).toBeLessThan(1e-9);
    // not the activation-only s
    expect(Array.from(mine.scales)).not.toEqual(Array.from(awq64(X, T, K, linears, 32).s));
  });

  it('clipping search lowers the output error per block, never raises it', () => {
    const K = 64;
    const { X, H, W } = problem(3, 200, K, 8);
    const plain = dequantizeBlockwise(awqQuantize(W, 8, K, { block: 32 }));
    const clipped = dequantizeBlockwise(awqQuantize(W, 8, K, { block: 32, clipH: H }));
    const eP = outputError64(X, 200, K, W, Float64Array.from(plain), 8);
    const eC = outputError64(X, 200, K, W, Float64Array.from(clipped), 8);
    expect(eC).toBeLessThanOrEqual(eP);
  });

  it('the plan clips every linear but q_proj and k_proj, as AWQ auto_clip', async () => {
    const model = await loadModelFromFiles(folderFiles(BUNDLED));
    const { spec, weights } = model;
    const rest = Array.from({ length: spec.numLayers - 1 }, (_, i) => i + 1);
    const drop = { attn: rest, mlp: rest }; // layer 0 only: fast
    const r = rng(21);
    const windows = Int32Array.from({ length: 2 * 32 }, () => 32 + Math.floor(r() * 90));
    const plan = (clip: boolean) =>
      planQ4(spec, weights, drop, { method: 'awq', block: 32, clip }, { ort: RUNTIMES[0].ort, windows, seqLen: 32 });
    const [on, off] = [await plan(true), await plan(false)];
    expect(on.alphas).toEqual(off.alphas); // the search does not depend on clipping
    const l0 = weights.layers[0];
    const same = (p: 'q' | 'k' | 'v' | 'o' | 'up' | 'down') => {
      const w = l0[p]?.weight;
      if (!w) throw new Error(`no ${p}`);
      const [a, b] = [on.linears.get(w), off.linears.get(w)];
      if (!a || !b) throw new Error(`${p} not quantized`);
      return Buffer.from(a.q.packed).equals(Buffer.from(b.q.packed));
    };
    expect(same('q')).toBe(true);
    expect(same('k')).toBe(true);
    for (const p of ['v', 'o', 'up', 'down'] as const) expect(same(p), p).toBe(false);
  }, 60_000);
});

describe('AWQ recipe variants in the plan', () => {
  it("'both' keeps the act or the duo alpha of each input; awqSkipUnfoldable leaves GQA's o_proj unscaled", async () => {
    const model = await loadModelFromFiles(folderFiles(BUNDLED));
    const { spec, weights } = model;
    expect(spec.numKvHeads).toBeLessThan(spec.numHeads); // o_proj has no place to fold 1/s
    const rest = Array.from({ length: spec.numLayers - 1 }, (_, i) => i + 1);
    const drop = { attn: rest, mlp: rest }; // layer 0 only: fast
    const r = rng(23);
    const windows = Int32Array.from({ length: 2 * 32 }, () => 32 + Math.floor(r() * 90));
    const plan = (o: Partial<QuantOptions>) =>
      planQ4(spec, weights, drop, { method: 'awq', block: 32, ...o }, { ort: RUNTIMES[0].ort, windows, seqLen: 32 });
    const act = await plan({});
    const duo = await plan({ awqScaling: 'duo' });
    const both = await plan({ awqScaling: 'both' });
    const keys = Object.keys(act.alphas);
    expect(keys).toHaveLength(4);
    for (const k of keys) expect([act.alphas[k], duo.alphas[k] === 0 ? 0 : -duo.alphas[k]]).toContain(both.alphas[k]);
    const skip = await plan({ awqSkipUnfoldable: true });
    const o = weights.layers[0].o.weight;
    expect(act.linears.get(o)?.inputScale).toBeDefined(); // the explicit Mul by 1/s
    expect(skip.linears.get(o)?.inputScale).toBeUndefined();
    expect(skip.alphas['layers.0.o']).toBe(0);
    for (const k of keys) if (k !== 'layers.0.o') expect(skip.alphas[k]).toBe(act.alphas[k]);
  }, 60_000);
});

const ROOT = join(__dirname, '../../..');
const BUNDLED = join(ROOT, 'public/models/droplab-byte-12l');

describe('calibration statistics', () => {
  it('X^T X and sum|x| of every distinct linear input = the float64 forward pass, drops applied first', async () => {
    const model = await loadModelFromFiles(folderFiles(BUNDLED));
    const { spec, weights } = model;
    const drop = { attn: [1], mlp: [0, 2] };
    const T = 48;
    const r = rng(9);
    const windows = Int32Array.from({ length: 2 * T }, () => Math.floor(r() * 256));
    const refs = [0, 1].map((w) => forward64(spec, weights, Array.from(windows.subarray(w * T, (w + 1) * T)), drop));
    const d = spec.hiddenSize;
    const seen: string[] = [];
    let worst = 0;
    for await (const st of calibrate(spec, weights, drop, { ort: RUNTIMES[0].ort, windows, seqLen: T, batch: 1 })) {
      seen.push(`${st.kind}${st.layer}:${st.inputs.map((i) => i.roles.join('/')).join(',')}`);
      if (st.layer > 3) continue;
      const s = st.inputs[0]; // q/k/v or gate/up: the normed residual, forward64's sublayer input
      const ref = new Float64Array(d * d);
      const abs = new Float64Array(d);
      for (const f of refs) {
        const x = (st.kind === 'attn' ? f.attn : f.mlp)[st.layer]?.input as Float64Array;
        for (let t = 0; t < T; t++)
          for (let i = 0; i < d; i++) {
            abs[i] += Math.abs(x[t * d + i]);
            for (let j = 0; j < d; j++) ref[i * d + j] += x[t * d + i] * x[t * d + j];
          }
      }
      const scale = Math.max(...ref.map(Math.abs));
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(s.xtx[i] - ref[i]) / scale);
      for (let i = 0; i < d; i++) worst = Math.max(worst, Math.abs(s.absSum[i] - abs[i]) / Math.max(...abs));
      expect(s.tokens).toBe(2 * T);
    }
    expect(worst).toBeLessThan(1e-5);
    // dropped sublayers are not calibrated; kept ones are, in model order, with shared inputs merged
    expect(seen.slice(0, 5)).toEqual([
      'attn0:q/k/v,o',
      'mlp1:gate/up,down',
      'attn2:q/k/v,o',
      'attn3:q/k/v,o',
      'mlp3:gate/up,down',
    ]);
    expect(seen).not.toContain('attn1:q/k/v,o');
    expect(seen.some((x) => x.startsWith('mlp0') || x.startsWith('mlp2'))).toBe(false);
    expect(seen).toHaveLength(24 - 3);
  });

  it('propagate (GPTQ sequential): later sublayers see the returned weights, = calibrating a model that has them', async () => {
    const model = await loadModelFromFiles(folderFiles(BUNDLED));
    const { spec, weights } = model;
    const drop = { attn: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], mlp: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
    const r = rng(4);
    const windows = Int32Array.from({ length: 2 * 32 }, () => 32 + Math.floor(r() * 90));
    // layer 0's attention with o_proj rounded coarsely: what a quantizer would hand back
    const o = weights.layers[0].o;
    const coarse = Float32Array.from(o.weight.load(), (v) => Math.round(v * 8) / 8);
    const l0 = { ...weights.layers[0], o: { weight: { shape: o.weight.shape, load: () => coarse }, bias: o.bias } };
    const changed = { ...weights, layers: weights.layers.map((w, i) => (i === 0 ? l0 : w)) };
    const opts = { ort: RUNTIMES[0].ort, windows, seqLen: 32 };
    const collect = async (w: typeof weights, propagate?: (l: number, k: 'attn' | 'mlp') => typeof l0 | null) => {
      const out: Float64Array[] = [];
      for await (const st of calibrate(spec, w, drop, { ...opts, propagate })) out.push(st.inputs[0].xtx);
      return out;
    };
    const viaPropagate = await collect(weights, (l, k) => (l === 0 && k === 'attn' ? l0 : null));
    const reference = await collect(changed);
    const plain = await collect(weights);
    expect(viaPropagate).toHaveLength(3); // attn0, mlp0, attn1
    expect(viaPropagate[0]).toEqual(plain[0]); // attn0's own input is unchanged
    for (const i of [1, 2]) {
      const scale = Math.max(...reference[i].map(Math.abs));
      let worst = 0;
      for (let k = 0; k < reference[i].length; k++)
        worst = Math.max(worst, Math.abs(viaPropagate[i][k] - reference[i][k]) / scale);
      expect(worst).toBeLessThan(1e-6);
      expect(viaPropagate[i]).not.toEqual(plain[i]);
    }
  });
});

describe('bad input, refused with the reason', () => {
  const spec = { hiddenSize: 128, numHeads: 4, headDim: 32, intermediateSize: 384 } as ModelSpec;
  it('a block size that does not divide a layer width', () => {
    expect(() =>
      checkQuantOptions({ ...spec, intermediateSize: 352 } as ModelSpec, { method: 'gptq', block: 64 }),
    ).toThrow(/Block size 64 does not divide the MLP width 352/);
    expect(() => checkQuantOptions(spec, { method: 'gptq', block: 48 })).toThrow(ExportError);
    expect(() => checkQuantOptions(spec, { method: 'fancy' as 'gptq', block: 32 })).toThrow(/Unknown quantization/);
  });
  it('a calibration text shorter than the windows asked for', () => {
    expect(() => splitCalibration(new Int32Array(10 * 16), 16, 10, 8, 4)).toThrow(TextTooShortError);
    expect(() => splitCalibration(new Int32Array(10 * 16), 16, 10, 8, 4)).toThrow(
      /10 windows of 16 tokens, but 8 calibration and 4 held-out/,
    );
    const ok = splitCalibration(
      Int32Array.from({ length: 160 }, (_, i) => i),
      16,
      10,
      6,
      4,
    );
    expect(ok.calibration.length).toBe(96);
    expect(ok.heldout[0]).toBe(96);
  });
  it('cancelling mid-calibration stops with CancelledError', async () => {
    const model = await loadModelFromFiles(folderFiles(BUNDLED));
    const signal = { aborted: false };
    let steps = 0;
    await expect(
      planQ4(
        model.spec,
        model.weights,
        { attn: [], mlp: [] },
        { method: 'gptq', block: 32 },
        { ort: RUNTIMES[0].ort, windows: new Int32Array(2 * 32).fill(65), seqLen: 32 },
        {
          signal,
          onProgress: () => {
            if (++steps === 3) signal.aborted = true;
          },
        },
      ),
    ).rejects.toThrow(CancelledError);
    expect(steps).toBe(3);
  });
});
