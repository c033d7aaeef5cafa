/**
 * The transformer blocks against the float64 reference (ref64.ts) on both runtimes: norms, RoPE
 * (incl. llama3 / linear scaling of inv_freq), grouped-query attention (with and without past keys and
 * a padding mask), MLPs with every activation, cosine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as blocks from '../../../src/engine/graphs/blocks';
import type { ModelSpec, Norm } from '../../../src/engine/model/spec';
import { GraphBuilder } from '../../../src/engine/onnx/builder';
import { RUNTIMES, f32, i64, maxAbsDiff, measured, randn, record, rng, runModel } from '../../support/runtimes';
import { param, randomWeights, tinySpec } from './random-weights';
import * as ref from './ref64';

const B = 2;
const T = 5;

/** [B,T,F] float32 -> the rows of batch element b as float64. */
const batchRows = (a: ArrayLike<number>, b: number, rows: number, F: number) =>
  Float64Array.from(Array.prototype.slice.call(a, b * rows * F, (b + 1) * rows * F));
const concat = (parts: ArrayLike<number>[]) => parts.flatMap((p) => Array.from(p));

const LLAMA32_ROPE: ModelSpec['ropeScaling'] = {
  type: 'llama3',
  factor: 32,
  lowFreqFactor: 1,
  highFreqFactor: 4,
  originalMaxPositions: 8192,
};

describe('RoPE inv_freq (pure TypeScript)', () => {
  it('unscaled: 1 / theta^(2i/hd)', () => {
    const spec = tinySpec({ headDim: 8, ropeTheta: 10000 });
    const inv = blocks.ropeInvFreq(spec);
    expect(Array.from(inv)).toEqual(
      [1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75].map((v) => expect.closeTo(v, 15)),
    );
  });

  it('llama3 scaling (Llama 3.2 settings) matches HF _compute_llama3_parameters in all three bands', () => {
    const spec = tinySpec({ headDim: 64, ropeTheta: 500000, ropeScaling: LLAMA32_ROPE });
    const inv = blocks.ropeInvFreq(spec);
    const expected = ref.invFreqRef(spec);
    expect(
      record('rope llama3 inv_freq (rel)', Math.max(...expected.map((e, i) => Math.abs(inv[i] - e) / e))),
    ).toBeLessThan(1e-14);
    // the three bands are all present: kept (wavelen < 2048), divided by 32 (wavelen > 8192), interpolated
    const raw = Array.from({ length: 32 }, (_, i) => 1 / 500000 ** ((2 * i) / 64));
    const wl = raw.map((f) => (2 * Math.PI) / f);
    const kept = raw.filter((_, i) => wl[i] < 2048).length;
    const divided = raw.filter((_, i) => wl[i] > 8192).length;
    expect(kept).toBeGreaterThan(0);
    expect(divided).toBeGreaterThan(0);
    expect(kept + divided).toBeLessThan(32);
    raw.forEach((f, i) => {
      if (wl[i] < 2048) expect(inv[i]).toBe(f);
      else if (wl[i] > 8192) expect(inv[i]).toBeCloseTo(f / 32, 18);
      else {
        const smooth = (8192 / wl[i] - 1) / (4 - 1);
        expect(inv[i]).toBeCloseTo((1 - smooth) * (f / 32) + smooth * f, 18);
      }
    });
  });

  it('linear scaling divides by the factor', () => {
    const spec = tinySpec({ headDim: 8, ropeScaling: { type: 'linear', factor: 4 } });
    const inv = blocks.ropeInvFreq(spec);
    const plain = blocks.ropeInvFreq(tinySpec({ headDim: 8 }));
    inv.forEach((v, i) => {
      expect(v).toBeCloseTo(plain[i] / 4, 15);
    });
  });

  it('tables: cos/sin of pos * inv_freq, halves duplicated', () => {
    const spec = tinySpec({ headDim: 8, ropeScaling: LLAMA32_ROPE, ropeTheta: 500000 });
    const { cos, sin } = blocks.ropeTables(spec, 100);
    const inv = ref.invFreqRef(spec);
    let d = 0;
    for (let p = 0; p < 100; p++)
      for (let i = 0; i < 8; i++) {
        d = Math.max(
          d,
          Math.abs(cos[p * 8 + i] - Math.cos(p * inv[i % 4])),
          Math.abs(sin[p * 8 + i] - Math.sin(p * inv[i % 4])),
        );
      }
    expect(record('rope tables', d)).toBeLessThan(1e-5);
  });
});

/** Run a graph built by `fn` on every runtime; returns outputs per runtime. */
async function onAll(model: Uint8Array, feeds: Parameters<typeof runModel>[2]) {
  const res = [];
  for (const rt of RUNTIMES) res.push({ rt: rt.name, out: await runModel(rt, model, feeds) });
  return res;
}

describe('norms', () => {
  for (const kind of ['rms', 'layer'] as const) {
    it(`${kind} norm vs float64`, async () => {
      const spec = tinySpec({ norm: kind, normEps: 1e-5 });
      const W = randomWeights(spec, 3);
      const nw = W.layers[0].attnNorm as Norm;
      const d = spec.hiddenSize;
      const X = randn(rng(9), B * T * d, 3);
      const b = new GraphBuilder('norm');
      const ctx = blocks.blockContext(b, spec);
      const x = b.input('x', 'float32', ['B', 'T', d]);
      b.output(blocks.norm(ctx, x, nw, 'n'), 'y');
      const expected = concat([0, 1].map((bb) => ref.normRef(spec, batchRows(X, bb, T, d), T, nw)));
      for (const { rt, out } of await onAll(b.build(), { x: f32(X, [B, T, d]) })) {
        expect(out.y.dims).toEqual([B, T, d]);
        expect(record(`${kind}Norm`, maxAbsDiff(out.y.data as Float32Array, expected)), rt).toBeLessThan(1e-5);
      }
    });
  }
});

describe('rotary embedding applied to heads', () => {
  const cases: { name: string; spec: ModelSpec; mode: blocks.RopeMode; perBatch: boolean }[] = [
    {
      name: 'table, positions [T]',
      spec: tinySpec({ headDim: 8 }),
      mode: { kind: 'table', length: 64 },
      perBatch: false,
    },
    {
      name: 'table, llama3 scaling, positions [B,T]',
      spec: tinySpec({ headDim: 8, ropeTheta: 500000, ropeScaling: LLAMA32_ROPE }),
      mode: { kind: 'table', length: 64 },
      perBatch: true,
    },
    {
      name: 'computed in graph, linear scaling, positions [B,T]',
      spec: tinySpec({ headDim: 8, ropeScaling: { type: 'linear', factor: 2 } }),
      mode: { kind: 'compute' },
      perBatch: true,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const H = 3;
      const hd = c.spec.headDim;
      const Q = randn(rng(11), B * H * T * hd, 1); // [B,H,T,hd]
      const pos = c.perBatch ? [3, 10, 20, 40, 63, 0, 1, 2, 3, 4] : [0, 1, 2, 3, 4];
      const b = new GraphBuilder('rope');
      const ctx = blocks.blockContext(b, c.spec, { rope: c.mode });
      const q = b.input('q', 'float32', ['B', H, 'T', hd]);
      const p = b.input('pos', 'int64', c.perBatch ? ['B', 'T'] : ['T']);
      b.output(blocks.applyRope(b, q, blocks.ropeCosSin(ctx, p), hd), 'y');
      // reference works on [T, heads, hd]: transpose per batch
      const expected: number[] = [];
      for (let bb = 0; bb < B; bb++) {
        const thd = new Float64Array(T * H * hd);
        for (let h = 0; h < H; h++)
          for (let t = 0; t < T; t++)
            for (let i = 0; i < hd; i++) thd[(t * H + h) * hd + i] = Q[((bb * H + h) * T + t) * hd + i];
        const positions = c.perBatch ? pos.slice(bb * T, bb * T + T) : pos;
        const y = ref.ropeRef(c.spec, thd, T, H, positions);
        for (let h = 0; h < H; h++)
          for (let t = 0; t < T; t++) for (let i = 0; i < hd; i++) expected.push(y[(t * H + h) * hd + i]);
      }
      for (const { rt, out } of await onAll(b.build(), {
        q: f32(Q, [B, H, T, hd]),
        pos: i64(pos, c.perBatch ? [B, T] : [T]),
      })) {
        expect(record(`rope ${c.mode.kind}`, maxAbsDiff(out.y.data as Float32Array, expected)), rt).toBeLessThan(2e-5);
      }
    });
  }
});

describe('grouped-query attention', () => {
  for (const [H, Hkv] of [
    [4, 2],
    [4, 4],
    [4, 1],
  ]) {
    it(`H=${H}, Hkv=${Hkv}, causal, positions 0..T-1`, async () => {
      const spec = tinySpec({ numHeads: H, numKvHeads: Hkv, headDim: 4, qkvBias: Hkv === 1, oBias: Hkv === 1 });
      const W = randomWeights(spec, 21);
      const d = spec.hiddenSize;
      const X = randn(rng(4), B * T * d, 1.5);
      const b = new GraphBuilder('attn');
      const ctx = blocks.blockContext(b, spec);
      const x = b.input('x', 'float32', ['B', 'T', d]);
      const { out, present } = blocks.attention(ctx, x, W.layers[0], 'attn', {
        positions: blocks.sequencePositions(b, x),
      });
      b.output(out, 'y');
      b.output(present.key, 'k');
      const refs = [0, 1].map((bb) => ref.attentionRef(spec, W.layers[0], batchRows(X, bb, T, d), T));
      const expected = concat(refs.map((r) => r.out));
      // present keys [B,Hkv,T,hd] from reference [T,Hkv,hd]
      const expectedK: number[] = [];
      for (const r of refs)
        for (let g = 0; g < Hkv; g++)
          for (let t = 0; t < T; t++) for (let i = 0; i < 4; i++) expectedK.push(r.present.k[(t * Hkv + g) * 4 + i]);
      for (const { rt, out: o } of await onAll(b.build(), { x: f32(X, [B, T, d]) })) {
        expect(o.y.dims).toEqual([B, T, d]);
        expect(record(`attention H=${H} Hkv=${Hkv}`, maxAbsDiff(o.y.data as Float32Array, expected)), rt).toBeLessThan(
          1e-5,
        );
        expect(maxAbsDiff(o.k.data as Float32Array, expectedK), rt).toBeLessThan(1e-5);
      }
    });
  }

  it('with past keys/values and a padding mask (the KV-cache form)', async () => {
    const spec = tinySpec({ numHeads: 4, numKvHeads: 2, headDim: 4 });
    const W = randomWeights(spec, 22);
    const d = spec.hiddenSize;
    const P = 3;
    const Tn = 2;
    const S = P + Tn;
    const Hkv = 2;
    const hd = 4;
    const r = rng(8);
    const X = randn(r, B * Tn * d, 1.5);
    const PK = randn(r, B * Hkv * P * hd, 1); // [B,Hkv,P,hd]
    const PV = randn(r, B * Hkv * P * hd, 1);
    const mask = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]; // batch 1 has its first past token padded
    const pos = [3, 4, 2, 3]; // batch 1 counts positions after the pad
    const b = new GraphBuilder('attn_kv');
    const ctx = blocks.blockContext(b, spec);
    const x = b.input('x', 'float32', ['B', 'T', d]);
    const pk = b.input('past_k', 'float32', ['B', Hkv, 'P', hd]);
    const pv = b.input('past_v', 'float32', ['B', Hkv, 'P', hd]);
    const am = b.input('mask', 'int64', ['B', 'S']);
    const p = b.input('pos', 'int64', ['B', 'T']);
    const { out, present } = blocks.attention(ctx, x, W.layers[0], 'attn', {
      positions: p,
      past: { key: pk, value: pv },
      attentionMask: am,
    });
    b.output(out, 'y');
    b.output(present.value, 'v');
    const toRef = (a: Float32Array, bb: number) => {
      const o = new Float64Array(P * Hkv * hd);
      for (let g = 0; g < Hkv; g++)
        for (let t = 0; t < P; t++)
          for (let i = 0; i < hd; i++) o[(t * Hkv + g) * hd + i] = a[((bb * Hkv + g) * P + t) * hd + i];
      return o;
    };
    const refs = [0, 1].map((bb) =>
      ref.attentionRef(spec, W.layers[0], batchRows(X, bb, Tn, d), Tn, {
        positions: pos.slice(bb * Tn, bb * Tn + Tn),
        past: { k: toRef(PK, bb), v: toRef(PV, bb), S: P },
        mask: mask.slice(bb * S, bb * S + S),
      }),
    );
    const expected = concat(refs.map((q) => q.out));
    const expectedV: number[] = [];
    for (const q of refs)
      for (let g = 0; g < Hkv; g++)
        for (let t = 0; t < S; t++) for (let i = 0; i < hd; i++) expectedV.push(q.present.v[(t * Hkv + g) * hd + i]);
    const feeds = {
      x: f32(X, [B, Tn, d]),
      past_k: f32(PK, [B, Hkv, P, hd]),
      past_v: f32(PV, [B, Hkv, P, hd]),
      mask: i64(mask, [B, S]),
      pos: i64(pos, [B, Tn]),
    };
    for (const { rt, out: o } of await onAll(b.build(), feeds)) {
      expect(o.v.dims).toEqual([B, Hkv, S, hd]);
      expect(maxAbsDiff(o.v.data as Float32Array, expectedV), rt).toBeLessThan(1e-6);
      expect(record('attention past+mask', maxAbsDiff(o.y.data as Float32Array, expected)), rt).toBeLessThan(1e-5);
    }
  });
});

describe('MLP', () => {
  const cases: Partial<ModelSpec>[] = [
    { mlp: 'gated', activation: 'silu' },
    { mlp: 'gated', activation: 'gelu_tanh', mlpBias: true },
    { mlp: 'plain', activation: 'gelu_tanh', mlpBias: true },
    { mlp: 'plain', activation: 'gelu' },
  ];
  for (const c of cases) {
    it(`${c.mlp} ${c.activation}${c.mlpBias ? ' with bias' : ''}`, async () => {
      const spec = tinySpec(c);
      const W = randomWeights(spec, 31);
      const d = spec.hiddenSize;
      const X = randn(rng(12), B * T * d, 2);
      const b = new GraphBuilder('mlp');
      const ctx = blocks.blockContext(b, spec);
      const x = b.input('x', 'float32', ['B', 'T', d]);
      b.output(blocks.mlp(ctx, x, W.layers[1], 'mlp'), 'y');
      const expected = concat([0, 1].map((bb) => ref.mlpRef(spec, W.layers[1], batchRows(X, bb, T, d), T)));
      for (const { rt, out } of await onAll(b.build(), { x: f32(X, [B, T, d]) })) {
        expect(
          record(`mlp ${c.mlp} ${c.activation}`, maxAbsDiff(out.y.data as Float32Array, expected)),
          rt,
        ).toBeLessThan(1e-5);
      }
    });
  }
});

describe('linear', () => {
  it('stores nn.Linear [out,in] transposed as [in,out] and loads it once', async () => {
    const w = param(
      Float32Array.from({ length: 6 }, (_, i) => i + 1),
      [2, 3],
    ); // [[1,2,3],[4,5,6]]
    const bias = param(Float32Array.from([0.5, -0.5]), [2]);
    const b = new GraphBuilder('lin');
    const x = b.input('x', 'float32', [1, 3]);
    b.output(blocks.fp32Linear(b, x, { weight: w, bias }, 'p'), 'y');
    expect(w.loads).toBe(1);
    const { out } = (await onAll(b.build(), { x: f32([1, 10, 100], [1, 3]) }))[0];
    expect(Array.from(out.y.data as Float32Array)).toEqual([321.5, 654 - 0.5]);
  });

  it("transBLinear (FusedMatMul, transB) keeps [out,in] and gives fp32Linear's float32 values on the CPU runtimes", async () => {
    const [out, inp] = [48, 40];
    const r = rng(11);
    const w = param(Float32Array.from(randn(r, out * inp, 0.2)), [out, inp]);
    const bias = param(Float32Array.from(randn(r, out, 0.1)), [out]);
    const X = Float32Array.from(randn(r, B * T * inp, 1));
    const graph = (impl: typeof blocks.fp32Linear) => {
      const b = new GraphBuilder('lin');
      const x = b.input('x', 'float32', ['B', 'T', inp]);
      b.output(impl(b, x, { weight: w, bias }, 'p'), 'y');
      return b.build();
    };
    const fused = graph(blocks.transBLinear);
    expect(new TextDecoder().decode(fused)).toContain('FusedMatMul');
    for (const rt of RUNTIMES.filter((x) => x.ep === 'cpu' || x.ep === 'wasm')) {
      const feeds = { x: f32(X, [B, T, inp]) };
      const a = (await runModel(rt, fused, feeds)).y.data as Float32Array;
      const b = (await runModel(rt, graph(blocks.fp32Linear), feeds)).y.data as Float32Array;
      expect(a.length).toBe(B * T * out);
      expect(Array.from(a), rt.name).toEqual(Array.from(b));
      expect(a[0]).toBeCloseTo(
        X.subarray(0, inp).reduce((s, v, k) => s + v * w.data[k], bias.data[0]),
        4,
      );
    }
  });
});

describe('cosine', () => {
  it('per token, a.b / max(|a||b|, 1e-12): identical 1, opposite -1, zero vector 0', async () => {
    const d = 6;
    const r = rng(3);
    const A = Array.from(randn(r, B * T * d, 1));
    const C = Array.from(randn(r, B * T * d, 1));
    for (let i = 0; i < d; i++) {
      C[i] = A[i]; // token 0: identical -> 1
      C[d + i] = -2 * A[d + i]; // token 1: opposite -> -1
      A[2 * d + i] = 0; // token 2: zero vector -> 0
    }
    const b = new GraphBuilder('cos');
    const a = b.input('a', 'float32', ['B', 'T', d]);
    const c = b.input('b', 'float32', ['B', 'T', d]);
    b.output(blocks.cosine(b, a, c), 'cos');
    const expected = ref.cosRef(Float64Array.from(A), Float64Array.from(C), B * T, d);
    for (const { rt, out } of await onAll(b.build(), { a: f32(A, [B, T, d]), b: f32(C, [B, T, d]) })) {
      const got = out.cos.data as Float32Array;
      expect(out.cos.dims).toEqual([B, T]);
      expect(got[0]).toBeCloseTo(1, 6);
      expect(got[1]).toBeCloseTo(-1, 6);
      expect(got[2]).toBe(0);
      expect(record('cosine', maxAbsDiff(got, expected)), rt).toBeLessThan(1e-6);
    }
  });
});

afterAll(() => {
  console.log(
    `blocks max-abs diffs: ${[...measured.entries()].map(([k, v]) => `${k}=${v.toExponential(2)}`).join(', ')}`,
  );
});
