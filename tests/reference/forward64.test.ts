import { describe, expect, it } from 'vitest';
import { DropConfigError } from '../../src/engine/errors';
import type { ModelSpec, ModelWeights } from '../../src/engine/model/spec';
import { forward64, loadReference } from './forward64';
import { layerNorm, linear, logSumExp, rmsNorm } from './ops64';
import { constParam, param, randomIds, randomWeights, tinyGpt2Spec, tinySpec } from './tiny64';

const none = { attn: [], mlp: [] };
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const f64 = (p: { load(): Float32Array }) => Float64Array.from(p.load());

describe('forward64 structure', () => {
  const spec = tinySpec({ numLayers: 3 });
  const w = randomWeights(spec, 11);
  const ids = randomIds(9, spec.vocabSize, 5);

  it('returns nll [T-1] consistent with the logits, argmax [T], 2L+1 boundaries', () => {
    const r = forward64(spec, w, ids, none);
    const V = spec.vocabSize;
    expect(r.nll.length).toBe(8);
    expect(r.argmax.length).toBe(9);
    expect(r.boundaries.length).toBe(7);
    for (let t = 0; t < 8; t++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(r.logits[t * V + v]);
      expect(r.nll[t]).toBeCloseTo(Math.log(s) - r.logits[t * V + ids[t + 1]], 12);
      expect(r.nll[t]).toBeGreaterThan(0);
      const row = [...r.logits.subarray(t * V, (t + 1) * V)];
      expect(row[r.argmax[t]]).toBe(Math.max(...row));
    }
  });

  it('boundaries are the residual stream: b_{2l+1} = b_{2l} + Attn(N1(b_{2l})), b_{2l+2} = b_{2l+1} + MLP(N2(..))', () => {
    const r = forward64(spec, w, ids, none);
    const ref = loadReference(spec, w);
    const { hiddenSize: d, normEps } = spec;
    for (let l = 0; l < spec.numLayers; l++) {
      const a = r.attn[l]!;
      const m = r.mlp[l]!;
      expect(maxAbsDiff(a.input, rmsNorm(r.boundaries[2 * l], 9, d, ref.layers[l].attnNorm!.w, normEps))).toBe(0);
      expect(maxAbsDiff(m.input, rmsNorm(r.boundaries[2 * l + 1], 9, d, ref.layers[l].mlpNorm!.w, normEps))).toBe(0);
      expect(
        maxAbsDiff(
          r.boundaries[2 * l + 1],
          r.boundaries[2 * l].map((x, i) => x + a.output[i]),
        ),
      ).toBe(0);
      expect(
        maxAbsDiff(
          r.boundaries[2 * l + 2],
          r.boundaries[2 * l + 1].map((x, i) => x + m.output[i]),
        ),
      ).toBe(0);
    }
    // x_0 = embed rows
    const E = f64(w.embed);
    for (let t = 0; t < 9; t++) for (let i = 0; i < d; i++) expect(r.boundaries[0][t * d + i]).toBe(E[ids[t] * d + i]);
  });

  it('dropping attention l gives m_l = x_l; dropping MLP l gives x_{l+1} = m_l; dropped IO is null', () => {
    const r = forward64(spec, w, ids, { attn: [1], mlp: [0, 2] });
    expect(maxAbsDiff(r.boundaries[3], r.boundaries[2])).toBe(0);
    expect(maxAbsDiff(r.boundaries[2], r.boundaries[1])).toBe(0);
    expect(maxAbsDiff(r.boundaries[6], r.boundaries[5])).toBe(0);
    expect(r.attn[1]).toBeNull();
    expect(r.mlp[0]).toBeNull();
    expect(r.mlp[2]).toBeNull();
    expect(r.attn[0]).not.toBeNull();
    // a later drop does not change earlier boundaries
    const full = forward64(spec, w, ids, none);
    expect(maxAbsDiff(r.boundaries[1], full.boundaries[1])).toBe(0);
    expect(maxAbsDiff(r.boundaries[2], full.boundaries[1])).toBe(0);
    expect(maxAbsDiff(r.nll, full.nll)).toBeGreaterThan(1e-6);
  });

  it('everything dropped: logits = lmHead @ finalNorm(embed)', () => {
    const all = [0, 1, 2];
    const r = forward64(spec, w, ids, { attn: all, mlp: all });
    const ref = loadReference(spec, w);
    const x0 = r.boundaries[0];
    const logits = linear(rmsNorm(x0, 9, 8, ref.finalNorm.w, spec.normEps), 9, 8, ref.lmHead, null, spec.vocabSize);
    expect(maxAbsDiff(r.logits, logits)).toBeLessThan(1e-13);
  });

  it('rejects bad drops and token ids', () => {
    expect(() => forward64(spec, w, ids, { attn: [3], mlp: [] })).toThrow(DropConfigError);
    expect(() => forward64(spec, w, ids, { attn: [], mlp: [-1] })).toThrow(DropConfigError);
    expect(() => forward64(spec, w, [0, 11], none)).toThrow(/outside/);
  });
});

describe('forward64 attention', () => {
  it('with T = 1 the attention output is o(v(N1(x))) (GQA head mapping, biases)', () => {
    const spec = tinySpec({ numLayers: 1, numHeads: 4, numKvHeads: 2, qkvBias: true, oBias: true });
    const w = randomWeights(spec, 3);
    const r = forward64(spec, w, [4], none);
    const lw = w.layers[0];
    const h = r.attn[0]!.input;
    const v = linear(h, 1, 8, f64(lw.v.weight), f64(lw.v.bias!), 2 * 4); // [1, Hkv*hd]
    // query heads 0,1 read kv head 0; heads 2,3 read kv head 1
    const ctx = new Float64Array(16);
    for (let hh = 0; hh < 4; hh++) for (let j = 0; j < 4; j++) ctx[hh * 4 + j] = v[Math.floor(hh / 2) * 4 + j];
    const want = linear(ctx, 1, 16, f64(lw.o.weight), f64(lw.o.bias!), 8);
    expect(maxAbsDiff(r.attn[0]!.output, want)).toBeLessThan(1e-14);
  });

  it('with q = 0 every position attends uniformly to its prefix (causal mean of v)', () => {
    const spec = tinySpec({ numLayers: 1, numHeads: 2, numKvHeads: 2 });
    const w = randomWeights(spec, 4);
    w.layers[0].q = { weight: constParam([8, 8], 0), bias: null };
    const T = 5;
    const r = forward64(spec, w, randomIds(T, 11, 2), none);
    const h = r.attn[0]!.input;
    const v = linear(h, T, 8, f64(w.layers[0].v.weight), null, 8);
    const ctx = new Float64Array(T * 8);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < 8; i++) {
        let s = 0;
        for (let u = 0; u <= t; u++) s += v[u * 8 + i];
        ctx[t * 8 + i] = s / (t + 1);
      }
    const want = linear(ctx, T, 8, f64(w.layers[0].o.weight), null, 8);
    expect(maxAbsDiff(r.attn[0]!.output, want)).toBeLessThan(1e-14);
  });

  it('scales scores by 1/sqrt(hd): hand-computed two-token case (GPT-2 layout, no rope)', () => {
    // d = hd = 2, H = 1; identity q/k/v/o, LayerNorm (eps 0, w 1, b 0) maps [a, b] (a != b) to +-[1, -1].
    const spec: ModelSpec = tinyGpt2Spec({
      vocabSize: 2,
      hiddenSize: 2,
      numLayers: 1,
      numHeads: 1,
      numKvHeads: 1,
      headDim: 2,
      intermediateSize: 2,
      normEps: 0,
      qkvBias: false,
      oBias: false,
      mlpBias: false,
    });
    const I2 = param([2, 2], [1, 0, 0, 1]);
    const ln = { weight: constParam([2], 1), bias: constParam([2], 0) };
    const w: ModelWeights = {
      embed: param([2, 2], [1, 0, 0, 1]), // token 0 -> [1, 0] -> LN [1, -1]; token 1 -> [0, 1] -> LN [-1, 1]
      posEmbed: constParam([64, 2], 0),
      layers: [
        {
          attnNorm: ln,
          q: { weight: I2, bias: null },
          k: { weight: I2, bias: null },
          v: { weight: I2, bias: null },
          o: { weight: I2, bias: null },
          mlpNorm: ln,
          gate: null,
          up: { weight: constParam([2, 2], 0), bias: null },
          down: { weight: constParam([2, 2], 0), bias: null },
        },
      ],
      finalNorm: ln,
      lmHead: param([2, 2], [1, 0, 0, 1]),
    };
    const r = forward64(spec, w, [0, 1], none);
    // t = 1: q = k1 = [-1, 1], k0 = [1, -1]; scores (-2, 2) / sqrt(2); p1 = e^{sqrt2} / (e^{sqrt2} + e^{-sqrt2})
    const p1 = Math.exp(Math.SQRT2) / (Math.exp(Math.SQRT2) + Math.exp(-Math.SQRT2));
    const out = r.attn[0]!.output;
    expect(out[2]).toBeCloseTo((1 - p1) * 1 + p1 * -1, 14);
    expect(out[3]).toBeCloseTo((1 - p1) * -1 + p1 * 1, 14);
    // t = 0 attends only to itself
    expect(out[0]).toBeCloseTo(1, 14);
    expect(out[1]).toBeCloseTo(-1, 14);
  });

  it('is causal: changing token k changes nothing before position k', () => {
    for (const spec of [tinySpec(), tinyGpt2Spec()]) {
      const w = randomWeights(spec, 8);
      const ids = randomIds(10, spec.vocabSize, 1);
      const a = forward64(spec, w, ids, none);
      const changed = ids.slice();
      changed[6] = (changed[6] + 1) % spec.vocabSize;
      const b = forward64(spec, w, changed, none);
      const d = spec.hiddenSize;
      for (let i = 0; i < a.boundaries.length; i++) {
        expect(maxAbsDiff(a.boundaries[i].subarray(0, 6 * d), b.boundaries[i].subarray(0, 6 * d))).toBe(0);
        expect(maxAbsDiff(a.boundaries[i].subarray(6 * d), b.boundaries[i].subarray(6 * d))).toBeGreaterThan(1e-9);
      }
      // nll[0..4] predict ids[1..5] from positions < 6: unchanged; nll[5] has the changed target
      expect(maxAbsDiff(a.nll.subarray(0, 5), b.nll.subarray(0, 5))).toBe(0);
      expect(Math.abs(a.nll[5] - b.nll[5])).toBeGreaterThan(1e-9);
    }
  });

  it('GQA equals multi-head attention with the kv weights duplicated per group', () => {
    const gqa = tinySpec({ numHeads: 4, numKvHeads: 2, qkvBias: true });
    const mha = { ...gqa, numKvHeads: 4 };
    const w = randomWeights(gqa, 21);
    const hd = 4;
    const d = 8;
    const dup = (p: { load(): Float32Array }, rowLen: number) => {
      const src = p.load();
      const out: number[] = [];
      for (let hh = 0; hh < 4; hh++) {
        const g = Math.floor(hh / 2);
        out.push(...src.subarray(g * hd * rowLen, (g + 1) * hd * rowLen));
      }
      return out;
    };
    const w2: ModelWeights = {
      ...w,
      layers: w.layers.map((lw) => ({
        ...lw,
        k: { weight: param([16, d], dup(lw.k.weight, d)), bias: param([16], dup(lw.k.bias!, 1)) },
        v: { weight: param([16, d], dup(lw.v.weight, d)), bias: param([16], dup(lw.v.bias!, 1)) },
      })),
    };
    const ids = randomIds(7, 11, 9);
    const a = forward64(gqa, w, ids, none);
    const b = forward64(mha, w2, ids, none);
    expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-12);
    expect(maxAbsDiff(a.nll, b.nll)).toBeLessThan(1e-12);
  });

  it('rope is applied in attention: theta changes every position but 0 (rope at 0 is the identity); learned positions add to x_0', () => {
    const spec = tinySpec();
    const w = randomWeights(spec, 2);
    const ids = [3, 5, 3, 7];
    const a = forward64(spec, w, ids, none);
    const b = forward64({ ...spec, ropeTheta: 10 }, w, ids, none);
    expect(maxAbsDiff(a.boundaries[4].subarray(0, 8), b.boundaries[4].subarray(0, 8))).toBe(0);
    expect(maxAbsDiff(a.boundaries[4].subarray(8), b.boundaries[4].subarray(8))).toBeGreaterThan(1e-6);
    const g = tinyGpt2Spec();
    const gw = randomWeights(g, 2);
    const rg = forward64(g, gw, [3, 5], none);
    const E = f64(gw.embed);
    const P = f64(gw.posEmbed!);
    for (let i = 0; i < 8; i++) {
      expect(rg.boundaries[0][i]).toBe(E[3 * 8 + i] + P[i]);
      expect(rg.boundaries[0][8 + i]).toBe(E[5 * 8 + i] + P[8 + i]);
    }
  });

  it("linear rope scaling (positions / factor) equals HF's inv_freq / factor", () => {
    const base = tinySpec({ numHeads: 2, numKvHeads: 2, headDim: 4 });
    const scaled = { ...base, ropeScaling: { type: 'linear' as const, factor: 2.5 } };
    const w = randomWeights(base, 5);
    const ids = randomIds(8, 11, 4);
    const ref = loadReference(base, w);
    const viaInvFreq = { ...ref, invFreq: ref.invFreq!.map((f) => f / 2.5) };
    const a = forward64(scaled, w, ids, none);
    const b = forward64(viaInvFreq, ids, none);
    expect(maxAbsDiff(a.logits, b.logits)).toBeLessThan(1e-13);
    expect(maxAbsDiff(a.logits, forward64(base, w, ids, none).logits)).toBeGreaterThan(1e-6);
  });

  it('final layer norm and lm head: GPT-2 layout with LayerNorm bias', () => {
    const spec = tinyGpt2Spec({ numLayers: 1, activation: 'gelu' });
    const w = randomWeights(spec, 6);
    const ref = loadReference(spec, w);
    const r = forward64(spec, w, [1, 2, 3], none);
    const h = layerNorm(r.boundaries[2], 3, 8, ref.finalNorm.w, ref.finalNorm.b, spec.normEps);
    const logits = linear(h, 3, 8, ref.lmHead, null, spec.vocabSize);
    expect(maxAbsDiff(r.logits, logits)).toBe(0);
    expect(r.nll[1]).toBeCloseTo(logSumExp(logits, 11, 11) - logits[11 + 3], 13);
  });
});
