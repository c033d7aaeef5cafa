/**
 * An independent float64 reference forward pass, the yardstick the ONNX graphs are tested against.
 * It shares nothing with the graph builder but the contract types (ModelSpec, ModelWeights,
 * DropConfig) and follows DESIGN.md section 2 literally:
 *
 *   x_0     = embed[ids] (+ posEmbed[0..T-1] for learned positions, GPT-2)
 *   m_l     = x_l + Attn_l(N1_l(x_l))      or x_l  when attention l is dropped (LLM-Drop)
 *   x_{l+1} = m_l + MLP_l(N2_l(m_l))       or m_l  when MLP l is dropped
 *   logits  = lmHead @ Nf(x_L);  nll[t] = -log softmax(logits[t])[ids[t+1]], t = 0..T-2
 *
 * One window, positions 0..T-1, no KV cache, causal attention. Tiny models only (it is O(T^2 d) loops).
 */
import type { DropConfig } from '../../src/engine/api';
import { DropConfigError } from '../../src/engine/errors';
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm, Param } from '../../src/engine/model/spec';
import {
  activation,
  applyRope,
  argmaxRow,
  layerNorm,
  linear,
  logSumExp,
  rmsNorm,
  ropeInvFreq,
  ropePosition,
} from './ops64';

// ---------------------------------------------------------------------------------------------
// Weights in float64

export interface Linear64 {
  w: Float64Array; // [out, in]
  b: Float64Array | null; // [out]
  out: number;
  in: number;
}
export interface Norm64 {
  w: Float64Array; // [d]
  b: Float64Array | null; // [d]
}
export interface Layer64 {
  attnNorm: Norm64 | null; // null: no pre-norm (olmo2)
  q: Linear64; // [H*hd, d]
  k: Linear64; // [Hkv*hd, d]
  v: Linear64; // [Hkv*hd, d]
  o: Linear64; // [d, H*hd]
  qNorm: Norm64 | null; // [hd], per-head RMSNorm of queries (qwen3)
  kNorm: Norm64 | null; // [hd], of keys
  attnPostNorm: Norm64 | null; // [d], sandwich norm (gemma2)
  mlpNorm: Norm64 | null;
  mlpPostNorm: Norm64 | null; // [d]
  gate: Linear64 | null; // [I, d]
  up: Linear64; // [I, d]
  down: Linear64; // [d, I]
}
/** A model ready for the reference: the spec plus every parameter copied to float64. */
export interface RefModel {
  spec: ModelSpec;
  embed: Float64Array; // [V, d]
  posEmbed: Float64Array | null; // [P, d]
  layers: Layer64[];
  finalNorm: Norm64;
  lmHead: Float64Array; // [V, d]
  invFreq: Float64Array | null; // [hd/2], rope only
  invFreqLong: Float64Array | null; // [hd/2], LongRoPE's long factors (windows past original_max_position_embeddings)
  invFreqLocal: Float64Array | null; // [hd/2], the local layers' own rope (gemma3), else null
}

function p64(p: Param, what: string, shape?: number[]): Float64Array {
  if (shape && (p.shape.length !== shape.length || p.shape.some((s, i) => s !== shape[i]))) {
    throw new Error(`${what}: shape [${p.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const f32 = p.load();
  const n = p.shape.reduce((a, b) => a * b, 1);
  if (f32.length !== n) throw new Error(`${what}: load() gave ${f32.length} values for shape [${p.shape.join(', ')}]`);
  return Float64Array.from(f32);
}

function lin64(l: Linear, out: number, inn: number, what: string): Linear64 {
  return {
    w: p64(l.weight, `${what}.weight`, [out, inn]),
    b: l.bias ? p64(l.bias, `${what}.bias`, [out]) : null,
    out,
    in: inn,
  };
}

function norm64(n: Norm, d: number, what: string): Norm64 {
  return { w: p64(n.weight, `${what}.weight`, [d]), b: n.bias ? p64(n.bias, `${what}.bias`, [d]) : null };
}

/** Copy every parameter of `weights` to float64 (Param.load() -> Float64Array), checking shapes. */
export function loadReference(spec: ModelSpec, weights: ModelWeights): RefModel {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I, vocabSize: V } = spec;
  if (H % Hkv !== 0) throw new Error(`numHeads ${H} is not a multiple of numKvHeads ${Hkv}`);
  if (weights.layers.length !== spec.numLayers) {
    throw new Error(`weights have ${weights.layers.length} layers, spec says ${spec.numLayers}`);
  }
  if ((spec.mlp === 'gated') !== weights.layers.every((l) => l.gate !== null)) {
    throw new Error(`spec.mlp is '${spec.mlp}' but the gate weights do not match`);
  }
  const layers = weights.layers.map(
    (lw: LayerWeights, l): Layer64 => ({
      attnNorm: lw.attnNorm ? norm64(lw.attnNorm, d, `layers.${l}.attnNorm`) : null,
      q: lin64(lw.q, H * hd, d, `layers.${l}.q`),
      k: lin64(lw.k, Hkv * hd, d, `layers.${l}.k`),
      v: lin64(lw.v, Hkv * hd, d, `layers.${l}.v`),
      o: lin64(lw.o, d, H * hd, `layers.${l}.o`),
      qNorm: lw.qNorm ? norm64(lw.qNorm, spec.qkNorm === 'full' ? H * hd : hd, `layers.${l}.qNorm`) : null,
      kNorm: lw.kNorm ? norm64(lw.kNorm, spec.qkNorm === 'full' ? Hkv * hd : hd, `layers.${l}.kNorm`) : null,
      attnPostNorm: lw.attnPostNorm ? norm64(lw.attnPostNorm, d, `layers.${l}.attnPostNorm`) : null,
      mlpPostNorm: lw.mlpPostNorm ? norm64(lw.mlpPostNorm, d, `layers.${l}.mlpPostNorm`) : null,
      mlpNorm: lw.mlpNorm ? norm64(lw.mlpNorm, d, `layers.${l}.mlpNorm`) : null,
      gate: lw.gate ? lin64(lw.gate, I, d, `layers.${l}.gate`) : null,
      up: lin64(lw.up, I, d, `layers.${l}.up`),
      down: lin64(lw.down, d, I, `layers.${l}.down`),
    }),
  );
  const learned = spec.position === 'learned';
  if (learned && !weights.posEmbed) throw new Error('learned positions but no posEmbed');
  return {
    spec,
    embed: p64(weights.embed, 'embed', [V, d]),
    posEmbed: learned && weights.posEmbed ? p64(weights.posEmbed, 'posEmbed') : null,
    layers,
    finalNorm: norm64(weights.finalNorm, d, 'finalNorm'),
    lmHead: p64(weights.lmHead, 'lmHead', [V, d]),
    invFreq: spec.position === 'rope' ? ropeInvFreq(spec.rotaryDim ?? hd, spec.ropeTheta, spec.ropeScaling) : null,
    invFreqLong:
      spec.ropeScaling?.type === 'longrope'
        ? ropeInvFreq(spec.rotaryDim ?? hd, spec.ropeTheta, spec.ropeScaling, true)
        : null,
    invFreqLocal: spec.localRope
      ? ropeInvFreq(spec.rotaryDim ?? hd, spec.localRope.theta, spec.localRope.scaling)
      : null,
  };
}

const cache = new WeakMap<ModelWeights, RefModel>();

/** loadReference, memoized per ModelWeights object (the parameters are assumed not to change). */
export function referenceFor(spec: ModelSpec, weights: ModelWeights): RefModel {
  let m = cache.get(weights);
  if (!m || m.spec !== spec) {
    m = loadReference(spec, weights);
    cache.set(weights, m);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Sublayers

/** N(x) for the model's norm kind. x: [T, d] -> [T, d]. */
export function applyNorm(spec: ModelSpec, n: Norm64 | null, x: Float64Array, T: number): Float64Array {
  if (!n) return x; // no pre-norm (olmo2): the sublayer reads the stream itself
  const d = spec.hiddenSize;
  return spec.norm === 'rms' ? rmsNorm(x, T, d, n.w, spec.normEps) : layerNorm(x, T, d, n.w, n.b, spec.normEps);
}

/**
 * Causal grouped-query self-attention on the normed input h: [T, d] -> [T, d].
 * Query head h reads kv head floor(h / (H / Hkv)); scores q.k / sqrt(hd); rope on q and k (HF
 * rotate_half) at positions 0..T-1 when the model uses rope.
 */
export function attention64(
  model: RefModel,
  layer: Layer64,
  h: Float64Array,
  T: number,
  window: number | null = null,
  rope = true,
): Float64Array {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd } = model.spec;
  let q = linear(h, T, d, layer.q.w, layer.q.b, H * hd); // [T, H*hd]
  let k = linear(h, T, d, layer.k.w, layer.k.b, Hkv * hd); // [T, Hkv*hd]
  // q/k norms before rope: every head's hd values (qwen3: T*H rows of hd), or each token's whole
  // projection (olmo2: T rows of H*hd).
  const full = model.spec.qkNorm === 'full';
  if (layer.qNorm) q = rmsNorm(q, full ? T : T * H, full ? H * hd : hd, layer.qNorm.w, model.spec.normEps);
  if (layer.kNorm) k = rmsNorm(k, full ? T : T * Hkv, full ? Hkv * hd : hd, layer.kNorm.w, model.spec.normEps);
  const v = linear(h, T, d, layer.v.w, layer.v.b, Hkv * hd); // [T, Hkv*hd]
  // a local layer (window) uses the local rope when the model has one (gemma3)
  const local = window !== null && model.invFreqLocal !== null;
  // LongRoPE (global RoPE only): the long factors when the window is longer than original_max_position_embeddings,
  // and cos/sin times the attention factor at every length
  const lr = !local && model.spec.ropeScaling?.type === 'longrope' ? model.spec.ropeScaling : null;
  const invFreq = local ? model.invFreqLocal : lr && T > lr.originalMaxPositions ? model.invFreqLong : model.invFreq;
  const ropeScale = lr ? lr.attentionFactor : 1;
  if (invFreq && rope) {
    for (let t = 0; t < T; t++) {
      const p = ropePosition(t, local ? (model.spec.localRope?.scaling ?? null) : model.spec.ropeScaling);
      // partial rotary: only the first rotaryDim values of each head turn
      const rd = model.spec.rotaryDim ?? hd;
      for (let hh = 0; hh < H; hh++) applyRope(q, t * H * hd + hh * hd, rd, invFreq, p, ropeScale);
      for (let hh = 0; hh < Hkv; hh++) applyRope(k, t * Hkv * hd + hh * hd, rd, invFreq, p, ropeScale);
    }
  }
  const group = H / Hkv;
  const scale = model.spec.attnScale ?? 1 / Math.sqrt(hd);
  const cap = model.spec.attnSoftcap;
  const ctx = new Float64Array(T * H * hd); // [T, H*hd]
  const scores = new Float64Array(T);
  for (let hh = 0; hh < H; hh++) {
    const kvh = Math.floor(hh / group);
    for (let t = 0; t < T; t++) {
      const qo = t * H * hd + hh * hd;
      // keys s0..t: all earlier ones, or the last `window` of them on a local layer (gemma2)
      const s0 = window === null ? 0 : Math.max(0, t - window + 1);
      for (let s = s0; s <= t; s++) {
        const ko = s * Hkv * hd + kvh * hd;
        let dot = 0;
        for (let j = 0; j < hd; j++) dot += q[qo + j] * k[ko + j];
        scores[s] = cap ? cap * Math.tanh((dot * scale) / cap) : dot * scale;
      }
      const lse = logSumExp(scores, s0, t + 1 - s0);
      for (let s = s0; s <= t; s++) {
        const p = Math.exp(scores[s] - lse);
        const vo = s * Hkv * hd + kvh * hd;
        for (let j = 0; j < hd; j++) ctx[qo + j] += p * v[vo + j];
      }
    }
  }
  return linear(ctx, T, H * hd, layer.o.w, layer.o.b, d);
}

/** MLP on the normed input h: [T, d] -> [T, d]. Gated: down(act(gate h) * up h); plain: down(act(up h)). */
export function mlp64(model: RefModel, layer: Layer64, h: Float64Array, T: number): Float64Array {
  const { hiddenSize: d, intermediateSize: I } = model.spec;
  const act = activation(model.spec.activation);
  const up = linear(h, T, d, layer.up.w, layer.up.b, I); // [T, I]
  if (layer.gate) {
    const g = linear(h, T, d, layer.gate.w, layer.gate.b, I);
    for (let i = 0; i < up.length; i++) up[i] = act(g[i]) * up[i];
  } else {
    for (let i = 0; i < up.length; i++) up[i] = act(up[i]);
  }
  return linear(up, T, I, layer.down.w, layer.down.b, d);
}

// ---------------------------------------------------------------------------------------------
// Forward

/** Input and output of one kept sublayer: the pair LLM-Drop's layer_drop_norm=False compares. */
export interface SublayerIO {
  input: Float64Array; // N(x): [T, d]
  output: Float64Array; // F(N(x)): [T, d]
}

export interface Forward64Result {
  T: number;
  d: number;
  nll: Float64Array; // [T-1]: nll[t] = -log p(ids[t+1] | ids[0..t])
  argmax: Int32Array; // [T]: argmax_v logits[t, v] (first index on ties)
  logits: Float64Array; // [T, V]
  /** b_0..b_{2L}, each [T, d]: b_{2l} = x_l, b_{2l+1} = m_l, b_{2L} = x_L. */
  boundaries: Float64Array[];
  attn: (SublayerIO | null)[]; // [L], null where dropped
  mlp: (SublayerIO | null)[]; // [L], null where dropped
}

/** Check a DropConfig against L: integer indices in [0, L). Returns the sets. */
export function dropSets(drop: DropConfig, L: number): { attn: Set<number>; mlp: Set<number> } {
  for (const [kind, list] of [
    ['attn', drop.attn],
    ['mlp', drop.mlp],
  ] as const) {
    for (const l of list) {
      if (!Number.isInteger(l) || l < 0 || l >= L) {
        throw new DropConfigError(`drop.${kind} has layer ${l}; layers are 0..${L - 1}`, { kind, layer: l });
      }
    }
  }
  return { attn: new Set(drop.attn), mlp: new Set(drop.mlp) };
}

/**
 * Run one window. `modelOrSpec` is a RefModel, or a ModelSpec with its ModelWeights (converted once
 * and memoized). ids: [T] token ids at positions 0..T-1.
 */
export function forward64(
  modelOrSpec: RefModel | ModelSpec,
  weightsOrIds: ModelWeights | ArrayLike<number>,
  idsOrDrop: ArrayLike<number> | DropConfig,
  maybeDrop?: DropConfig,
): Forward64Result {
  let model: RefModel;
  let ids: ArrayLike<number>;
  let drop: DropConfig;
  if ('layers' in modelOrSpec) {
    model = modelOrSpec;
    ids = weightsOrIds as ArrayLike<number>;
    drop = idsOrDrop as DropConfig;
  } else {
    model = referenceFor(modelOrSpec, weightsOrIds as ModelWeights);
    ids = idsOrDrop as ArrayLike<number>;
    drop = maybeDrop ?? { attn: [], mlp: [] };
  }
  const spec = model.spec;
  const { hiddenSize: d, vocabSize: V, numLayers: L } = spec;
  const T = ids.length;
  if (T < 1) throw new Error('forward64 needs at least one token');
  for (let t = 0; t < T; t++) {
    if (!Number.isInteger(ids[t]) || ids[t] < 0 || ids[t] >= V)
      throw new Error(`token id ${ids[t]} at ${t} is outside 0..${V - 1}`);
  }
  const dropped = dropSets(drop, L);

  // x_0: [T, d]
  let x = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    const e = ids[t] * d;
    for (let i = 0; i < d; i++) x[t * d + i] = model.embed[e + i];
  }
  if (model.posEmbed) {
    if (model.posEmbed.length < T * d) throw new Error(`window of ${T} tokens is longer than the learned positions`);
    for (let i = 0; i < T * d; i++) x[i] += model.posEmbed[i];
  }
  if (spec.embedScale !== undefined) for (let i = 0; i < T * d; i++) x[i] *= Math.fround(spec.embedScale);

  const boundaries: Float64Array[] = [x];
  const attnIO: (SublayerIO | null)[] = [];
  const mlpIO: (SublayerIO | null)[] = [];
  for (let l = 0; l < L; l++) {
    const layer = model.layers[l];
    // attention sublayer: m_l
    let m = x;
    if (dropped.attn.has(l)) attnIO.push(null);
    else {
      const input = applyNorm(spec, layer.attnNorm, x, T);
      let output = attention64(model, layer, input, T, spec.layerWindows?.[l] ?? null, spec.ropeLayers?.[l] ?? true);
      if (layer.attnPostNorm) output = applyNorm(spec, layer.attnPostNorm, output, T);
      if (spec.residualScale !== undefined)
        for (let i = 0; i < output.length; i++) output[i] *= Math.fround(spec.residualScale);
      m = new Float64Array(T * d);
      for (let i = 0; i < m.length; i++) m[i] = x[i] + output[i];
      attnIO.push({ input, output });
    }
    boundaries.push(m);
    // MLP sublayer: x_{l+1}
    let next = m;
    if (dropped.mlp.has(l)) mlpIO.push(null);
    else {
      const input = applyNorm(spec, layer.mlpNorm, m, T);
      let output = mlp64(model, layer, input, T);
      if (layer.mlpPostNorm) output = applyNorm(spec, layer.mlpPostNorm, output, T);
      if (spec.residualScale !== undefined)
        for (let i = 0; i < output.length; i++) output[i] *= Math.fround(spec.residualScale);
      next = new Float64Array(T * d);
      for (let i = 0; i < next.length; i++) next[i] = m[i] + output[i];
      mlpIO.push({ input, output });
    }
    boundaries.push(next);
    x = next;
  }

  const h = applyNorm(spec, model.finalNorm, x, T);
  const logits = linear(h, T, d, model.lmHead, null, V); // [T, V]
  if (spec.logitDivisor !== undefined)
    for (let i = 0; i < logits.length; i++) logits[i] /= Math.fround(spec.logitDivisor);
  const cap = spec.finalSoftcap;
  if (cap) for (let i = 0; i < logits.length; i++) logits[i] = cap * Math.tanh(logits[i] / cap);
  const nll = new Float64Array(T - 1);
  for (let t = 0; t < T - 1; t++) nll[t] = logSumExp(logits, t * V, V) - logits[t * V + ids[t + 1]];
  const argmax = new Int32Array(T);
  for (let t = 0; t < T; t++) argmax[t] = argmaxRow(logits, t * V, V);
  return { T, d, nll, argmax, logits, boundaries, attn: attnIO, mlp: mlpIO };
}
