/**
 * A small, independent float64 forward pass for graph tests: one sequence at a time, row-major
 * [T, features] arrays. Written from the definitions (HF Llama / GPT-2 semantics), not from blocks.ts.
 */
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm } from '../../../src/engine/model/spec';

const f64 = (a: Float32Array) => Float64Array.from(a);

/** x [n, in] -> x W^T + b, [n, out]. */
export function linear(x: Float64Array, n: number, lin: Linear): Float64Array {
  const [out, inp] = lin.weight.shape;
  const W = lin.weight.load();
  const b = lin.bias?.load();
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inp; i++) s += x[r * inp + i] * W[o * inp + i];
      y[r * out + o] = s;
    }
  return y;
}

export function rmsNorm(x: Float64Array, n: number, d: number, w: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let ms = 0;
    for (let i = 0; i < d; i++) ms += x[r * d + i] ** 2;
    const inv = 1 / Math.sqrt(ms / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i] * inv * w[i];
  }
  return y;
}

export function layerNorm(
  x: Float64Array,
  n: number,
  d: number,
  w: Float32Array,
  b: Float32Array | null,
  eps: number,
): Float64Array {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let mu = 0;
    for (let i = 0; i < d; i++) mu += x[r * d + i];
    mu /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mu) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mu) * inv * w[i] + (b ? b[i] : 0);
  }
  return y;
}

export function normRef(spec: ModelSpec, x: Float64Array, n: number, nw: Norm | null): Float64Array {
  if (!nw) return x; // no pre-norm (post-norm-only blocks)
  return spec.norm === 'rms'
    ? rmsNorm(x, n, spec.hiddenSize, nw.weight.load(), spec.normEps)
    : layerNorm(x, n, spec.hiddenSize, nw.weight.load(), nw.bias?.load() ?? null, spec.normEps);
}

/** Unscaled inv_freq, then HF's llama3 / linear rescaling, written out step by step. */
export function invFreqRef(spec: ModelSpec): number[] {
  const hd = spec.headDim;
  const out: number[] = [];
  for (let j = 0; j < hd; j += 2) {
    const base = 1 / spec.ropeTheta ** (j / hd);
    const s = spec.ropeScaling;
    if (!s) out.push(base);
    else if (s.type === 'linear') out.push(base / s.factor);
    else if (s.type === 'longrope') out.push(base / s.shortFactor[j / 2]);
    else {
      const wavelen = (2 * Math.PI) / base;
      const lowWave = s.originalMaxPositions / s.lowFreqFactor;
      const highWave = s.originalMaxPositions / s.highFreqFactor;
      const llama = wavelen > lowWave ? base / s.factor : base;
      const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      const smoothed = ((1 - smooth) * llama) / s.factor + smooth * llama;
      const medium = !(wavelen < highWave) && !(wavelen > lowWave);
      out.push(medium ? smoothed : llama);
    }
  }
  return out;
}

/** RoPE on x [T, heads, hd] in place-free form, rotate_half convention. */
export function ropeRef(spec: ModelSpec, x: Float64Array, T: number, heads: number, positions: number[]): Float64Array {
  const hd = spec.headDim;
  const half = hd / 2;
  const inv = invFreqRef(spec);
  const y = new Float64Array(x.length);
  for (let t = 0; t < T; t++)
    for (let h = 0; h < heads; h++) {
      const o = (t * heads + h) * hd;
      for (let i = 0; i < half; i++) {
        const a = positions[t] * inv[i];
        const c = Math.cos(a);
        const s = Math.sin(a);
        const x1 = x[o + i];
        const x2 = x[o + half + i];
        y[o + i] = x1 * c - x2 * s;
        y[o + half + i] = x2 * c + x1 * s;
      }
    }
  return y;
}

export interface KV64 {
  k: Float64Array; // [S, Hkv, hd]
  v: Float64Array;
  S: number;
}

/** o(Attn(xn)) for one sequence, xn [T,d]; past keys/values [P,Hkv,hd] (after rope); mask [S] (1 keep). */
export function attentionRef(
  spec: ModelSpec,
  w: LayerWeights,
  xn: Float64Array,
  T: number,
  opts: { positions?: number[]; past?: KV64 | null; mask?: number[] | null } = {},
): { out: Float64Array; present: KV64 } {
  const { numHeads: H, numKvHeads: Hkv, headDim: hd } = spec;
  const P = opts.past?.S ?? 0;
  const positions = opts.positions ?? Array.from({ length: T }, (_, t) => P + t);
  let q = linear(xn, T, w.q);
  let k = linear(xn, T, w.k);
  const v = linear(xn, T, w.v);
  if (spec.position === 'rope') {
    q = ropeRef(spec, q, T, H, positions);
    k = ropeRef(spec, k, T, Hkv, positions);
  }
  const S = P + T;
  const K = new Float64Array(S * Hkv * hd);
  const Vv = new Float64Array(S * Hkv * hd);
  if (opts.past) {
    K.set(opts.past.k);
    Vv.set(opts.past.v);
  }
  K.set(k, P * Hkv * hd);
  Vv.set(v, P * Hkv * hd);
  const ctxv = new Float64Array(T * H * hd);
  const nRep = H / Hkv;
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / nRep);
    for (let t = 0; t < T; t++) {
      const scores: number[] = [];
      for (let j = 0; j < S; j++) {
        const allowed = j <= P + t && (!opts.mask || opts.mask[j] === 1);
        if (!allowed) {
          scores.push(Number.NEGATIVE_INFINITY);
          continue;
        }
        let s = 0;
        for (let i = 0; i < hd; i++) s += q[(t * H + h) * hd + i] * K[(j * Hkv + g) * hd + i];
        scores.push(s / Math.sqrt(hd));
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => (s === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - m)));
      const z = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < hd; i++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += (e[j] / z) * Vv[(j * Hkv + g) * hd + i];
        ctxv[(t * H + h) * hd + i] = acc;
      }
    }
  }
  return { out: linear(ctxv, T, w.o), present: { k: K, v: Vv, S } };
}

export function act(kind: ModelSpec['activation'], x: number): number {
  if (kind === 'silu') return x / (1 + Math.exp(-x));
  if (kind === 'gelu_tanh') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** erf in float64: Taylor series for |x| <= 3, erfc continued fraction beyond (both ~1e-13 or better). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 3) {
    let f = ax;
    for (let n = 80; n >= 1; n--) f = ax + n / 2 / f;
    return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
  }
  let sum = 0;
  let term = ax;
  for (let n = 0; n < 200; n++) {
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    term *= (-ax * ax) / (n + 1);
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
}

export function mlpRef(spec: ModelSpec, w: LayerWeights, xn: Float64Array, T: number): Float64Array {
  const up = linear(xn, T, w.up);
  let h: Float64Array;
  if (spec.mlp === 'gated') {
    const gate = linear(xn, T, w.gate!);
    h = up.map((u, i) => act(spec.activation, gate[i]) * u);
  } else h = up.map((u) => act(spec.activation, u));
  return linear(h, T, w.down);
}

export function cosRef(a: Float64Array, b: Float64Array, T: number, d: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < T; t++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < d; i++) {
      ab += a[t * d + i] * b[t * d + i];
      aa += a[t * d + i] ** 2;
      bb += b[t * d + i] ** 2;
    }
    out.push(ab / Math.max(Math.sqrt(aa) * Math.sqrt(bb), 1e-12));
  }
  return out;
}

export function embedRef(spec: ModelSpec, W: ModelWeights, ids: number[]): Float64Array {
  const d = spec.hiddenSize;
  const E = W.embed.load();
  const Pe = W.posEmbed?.load();
  const x = new Float64Array(ids.length * d);
  ids.forEach((id, t) => {
    for (let i = 0; i < d; i++) x[t * d + i] = E[id * d + i] + (Pe ? Pe[t * d + i] : 0);
  });
  return x;
}

/** Final norm, head, next-token NLL [T-1] and argmax [T] for one sequence. */
export function headRef(
  spec: ModelSpec,
  W: ModelWeights,
  x: Float64Array,
  ids: number[],
): { nll: number[]; argmax: number[] } {
  const T = ids.length;
  const hn = normRef(spec, x, T, W.finalNorm);
  const logits = linear(hn, T, { weight: W.lmHead, bias: null });
  const V = spec.vocabSize;
  const nll: number[] = [];
  const argmax: number[] = [];
  for (let t = 0; t < T; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    let m = Number.NEGATIVE_INFINITY;
    let am = 0;
    for (let i = 0; i < V; i++) if (row[i] > m) [m, am] = [row[i], i];
    argmax.push(am);
    if (t < T - 1) {
      let z = 0;
      for (let i = 0; i < V; i++) z += Math.exp(row[i] - m);
      nll.push(m + Math.log(z) - row[ids[t + 1]]);
    }
  }
  return { nll, argmax };
}

export interface Forward64 {
  /** Boundary states b_0 = x_0, b_1 = m_0, b_2 = x_1, ... ([T,d] each); a dropped sublayer repeats the state. */
  boundaries: Float64Array[];
  nll: number[];
  argmax: number[];
}

/** The whole model on one sequence with drops applied. */
export function forwardRef(
  spec: ModelSpec,
  W: ModelWeights,
  ids: number[],
  drop = { attn: [] as number[], mlp: [] as number[] },
): Forward64 {
  const T = ids.length;
  let x = embedRef(spec, W, ids);
  const boundaries = [x];
  for (let l = 0; l < spec.numLayers; l++) {
    const w = W.layers[l];
    if (!drop.attn.includes(l)) {
      const a = attentionRef(spec, w, normRef(spec, x, T, w.attnNorm), T).out;
      x = x.map((v, i) => v + a[i]);
    }
    boundaries.push(x);
    if (!drop.mlp.includes(l)) {
      const m = mlpRef(spec, w, normRef(spec, x, T, w.mlpNorm), T);
      x = x.map((v, i) => v + m[i]);
    }
    boundaries.push(x);
  }
  return { boundaries, ...headRef(spec, W, x, ids) };
}

export { f64 };
